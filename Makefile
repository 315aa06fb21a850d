# Developer commands. Quick start: `make run`, then `make test` (see README.md).
#
# Everything runs from a virtualenv in .venv, created with the first Python >= 3.12 found:
# $(PYTHON) if you set it, else python3.13, python3.12 or python3 on PATH, else the newest
# pyenv-installed 3.12+. Dependencies are installed once and again only when pyproject.toml
# or requirements.lock change.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000
ARGS ?=
# `make bench`: a dedicated PostgreSQL database (dropped and re-created when its size changes).
BENCH_TICKETS ?= 1000000
BENCH_DATABASE_URL ?= postgres://helpdesk:secret@127.0.0.1:5432/helpdesk_bench
BENCH_ARGS ?=
# `make loadtest`: load and faults (bench/faults.py) on a database dropped and created each run.
LOADTEST_DATABASE_URL ?= postgres://helpdesk:secret@127.0.0.1:5432/helpdesk_loadtest
LOADTEST_SECONDS ?= 60
LOADTEST_CLIENTS ?= 16

# Prints the path of a Python >= 3.12, or explains what is missing and fails.
define FIND_PYTHON
is_new_enough() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
found=""; \
if [ -n "$(PYTHON)" ]; then \
	if is_new_enough "$(PYTHON)"; then found="$(PYTHON)"; \
	else echo "PYTHON=$(PYTHON) is not a Python 3.12 or newer." >&2; exit 1; fi; \
fi; \
if [ -z "$$found" ]; then \
	for candidate in python3.13 python3.12 python3; do \
		if command -v "$$candidate" >/dev/null 2>&1 && is_new_enough "$$candidate"; then \
			found="$$candidate"; break; \
		fi; \
	done; \
fi; \
if [ -z "$$found" ]; then \
	pyenv_root="$$(pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}")"; \
	for dir in $$(ls -d "$$pyenv_root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do \
		if is_new_enough "$$dir/bin/python"; then found="$$dir/bin/python"; break; fi; \
	done; \
fi; \
if [ -z "$$found" ]; then \
	echo "No Python 3.12 or newer found (tried python3.13, python3.12 and python3 on PATH," >&2; \
	echo "and pyenv versions 3.12+). Install one, e.g. 'pyenv install 3.12', or run" >&2; \
	echo "'make PYTHON=/path/to/python3.12 ...'." >&2; \
	exit 1; \
fi; \
"$$found" -c 'import sys; print(sys.executable)'
endef

.PHONY: help install run test lint format migrate seed schedules bench loadtest lock clean

help: ## Show the available commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@python="$$($(FIND_PYTHON))" || exit 1; \
	echo "Creating $(VENV) with $$python ($$("$$python" -V 2>&1))"; \
	"$$python" -m venv $(VENV)

$(STAMP): pyproject.toml requirements.lock | $(PY)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
		echo "$(VENV) has $$($(PY) -V 2>&1); 3.12+ is needed. Run 'make clean' and retry." >&2; \
		exit 1; }
	@echo "Installing dependencies into $(VENV) (pinned by requirements.lock)..."
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $@

install: $(STAMP) ## Create .venv and install the pinned dependencies

run: $(STAMP) ## Migrate, add demo data to an empty database, start web server + worker
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py install_schedules
	$(PY) manage.py devserver $(ADDR)

test: $(STAMP) ## Run the test suite (pass pytest options with ARGS="-k name -x")
	Q_SYNC=true $(PY) -m pytest $(ARGS)

lint: $(STAMP) ## Check lint and formatting with ruff, then the import contracts
	@status=0; \
	$(PY) -m ruff check . || status=1; \
	$(PY) -m ruff format --check . || status=1; \
	$(VENV)/bin/lint-imports || status=1; \
	exit $$status

format: $(STAMP) ## Format the code and apply safe lint fixes
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

migrate: $(STAMP) ## Apply database migrations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

seed: $(STAMP) ## Add the demo data (safe to run again)
	$(PY) manage.py seed_demo

schedules: $(STAMP) ## Install the background job schedules
	$(PY) manage.py install_schedules

bench: $(STAMP) ## Seed (or reuse) BENCH_TICKETS tickets in BENCH_DATABASE_URL and time the desk
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) manage.py bench_seed --tickets $(BENCH_TICKETS)
	DATABASE_URL="$(BENCH_DATABASE_URL)" DB_CONN_MAX_AGE=600 DEBUG=false SECURE_COOKIES=false \
		ALLOWED_HOSTS=testserver,127.0.0.1,localhost SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0 \
		SECRET_KEY=bench-only-secret-key-not-for-production \
		$(PY) manage.py bench_run --load --update-doc $(BENCH_ARGS)

loadtest: $(STAMP) ## Load the portal and API while killing workers and breaking mail and AI
	LOADTEST_DATABASE_URL="$(LOADTEST_DATABASE_URL)" $(PY) -m bench.faults \
		--seconds $(LOADTEST_SECONDS) --clients $(LOADTEST_CLIENTS) $(ARGS)

lock: ## Re-resolve the dependencies in a clean virtualenv and rewrite requirements.lock
	@python="$$($(FIND_PYTHON))" || exit 1; \
	tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	"$$python" -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet -e ".[dev]" && \
	{ echo "# The whole dependency tree, exact versions. Regenerate with 'make lock'."; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable; } > requirements.lock
	@echo "requirements.lock updated."

clean: ## Remove .venv, caches and build files (keeps the database)
	rm -rf $(VENV) staticfiles build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
