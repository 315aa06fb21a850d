"""Settings, all driven by environment variables with safe development defaults.

Production sets DEBUG=false, SECRET_KEY and DATABASE_URL; everything else has a default.
`.env.example` lists every variable. Longer than 400 lines on purpose: one list of every
setting, each beside the comment that explains it.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

# Production answers only to the host names it is given: no guessable default.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set when DEBUG is off (comma-separated host names, "
        "e.g. help.example.com)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_q",
    # The project package: settings, URLs, schedules and their commands; no domain code.
    "helpdesk",
    "common",
    "ratelimits",
    "accounts",
    "api",
    "tickets",
    "analytics",
    "agents",
    "knowledge",
    "sla",
    "mail",
    "webhooks",
    "desk",
    "portal",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Every /api/ answer carries Cache-Control: no-store (customer ticket data, tokens).
    "api.cache.ApiNoStoreMiddleware",
    # Last, so its 400 page renders with the session, user and CSP nonce in place.
    "common.request_guard.RejectNulBytesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "accounts.auth.UserWithProfileBackend",
    # Sessions signed in before the backend above existed name Django's own; listed so that
    # they stay signed in. It only runs again on a failed password (rate-limited).
    "django.contrib.auth.backends.ModelBackend",
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker share the embedded database.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Covering indexes (`include=`) are a PostgreSQL speed-up; SQLite builds the same index
    # without the extra columns, which is all a development database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Form choices and other `.iterator()` reads fetch their few rows in one round trip
    # instead of DECLARE/FETCH/CLOSE on a server-side cursor; also what a transaction-pooling
    # connection pooler (PgBouncer) requires.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Opt-in (docs/operations.md): parameters bound by the server and statements run twice on
    # a connection prepared, so PostgreSQL stops re-parsing and re-planning the same queries.
    # Needs persistent connections, and no transaction-pooling PgBouncer in between.
    if env_bool("DB_PREPARED_STATEMENTS", False):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 2}
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Attachments: per-file size limit and the content types customers and agents may upload.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
ATTACHMENT_MAX_FILES = int(os.environ.get("ATTACHMENT_MAX_FILES", "5"))
ATTACHMENT_ALLOWED_TYPES = env_list(
    "ATTACHMENT_ALLOWED_TYPES",
    "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,"
    "application/zip,application/json",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Virus scanning of every stored attachment by a ClamAV daemon: on when CLAMD_ADDRESS is set
# (a unix socket path, or host:port). Off by default for development; see docs/operations.md.
CLAMD_ADDRESS = os.environ.get("CLAMD_ADDRESS", "")
# Seconds to wait for clamd (connect and verdict); past it the file waits as "pending scan".
CLAMD_TIMEOUT = float(os.environ.get("CLAMD_TIMEOUT", "10"))

# Email goes to the console unless EMAIL_BACKEND names another backend (SMTP for production).
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
_mailer = {"BACKEND": EMAIL_BACKEND_PATH}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mailer["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "10")),
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Support <support@example.com>")
# The email channel (docs/email.md). Customers reply to this address with the ticket reference
# as plus tag (support+TKT-00012@example.com); unset means DEFAULT_FROM_EMAIL's address.
SUPPORT_REPLY_ADDRESS = os.environ.get("SUPPORT_REPLY_ADDRESS", "")
# Shared secret of POST /inbound/email (a mail provider's inbound webhook); unset turns it off.
INBOUND_EMAIL_TOKEN = os.environ.get("INBOUND_EMAIL_TOKEN", "")
# Larger inbound messages are quarantined unread (IMAP, Maildir) or refused with 413 (webhook).
INBOUND_EMAIL_MAX_BYTES = int(os.environ.get("INBOUND_EMAIL_MAX_BYTES", str(25 * 1024 * 1024)))

# Team leads and managers are also notified by a POST to this URL when it is set (chat
# webhook, paging tool). With a secret, each POST carries an HMAC-SHA256 signature of its body.
MANAGER_WEBHOOK_URL = os.environ.get("MANAGER_WEBHOOK_URL", "")
MANAGER_WEBHOOK_SECRET = os.environ.get("MANAGER_WEBHOOK_SECRET", "")

# Webhook subscriptions (common.outbound) never reach loopback, private, link-local,
# metadata or other internal addresses, checked when the URL is saved and again for the
# resolved address at every delivery. Networks listed here are allowed all the same: an
# on-premise receiver, e.g. "10.0.0.0/8,192.168.1.5". Empty: public addresses only.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", "")
for _network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS: {_network!r} is not an IP address or network "
            "(e.g. 10.0.0.0/8,192.168.1.5)."
        ) from None

# The optional AI layer (knowledge.ai): any OpenAI-compatible chat completions endpoint. It is
# on only when both AI_BASE_URL and AI_API_KEY are set; everything else works without it.
AI_BASE_URL = os.environ.get("AI_BASE_URL", "")
AI_API_KEY = os.environ.get("AI_API_KEY", "")
AI_MODEL = os.environ.get("AI_MODEL", "gpt-4o-mini")
# Short on purpose: model calls run in background jobs, and a slow model must not hold them.
# One call (connect, every read, retries) ends within AI_DEADLINE_SECONDS whatever the
# provider does; each attempt also gives up after AI_TIMEOUT_SECONDS without data.
AI_DEADLINE_SECONDS = float(os.environ.get("AI_DEADLINE_SECONDS", "20"))
AI_TIMEOUT_SECONDS = float(os.environ.get("AI_TIMEOUT_SECONDS", "10"))
AI_MAX_RETRIES = int(os.environ.get("AI_MAX_RETRIES", "1"))
# The deadline of a model call made inside a web request (POST /api/v1/ai/query): well inside
# the web server's worker timeout (gunicorn's default is 30 s), so the agent gets a 504.
AI_REQUEST_DEADLINE_SECONDS = float(os.environ.get("AI_REQUEST_DEADLINE_SECONDS", "15"))
# The provider's circuit breaker (knowledge.ai.breaker): this many provider faults in a row
# pause every model call for AI_PAUSE_SECONDS, doubled at each trip in a row up to the maximum.
AI_PAUSE_AFTER_FAULTS = int(os.environ.get("AI_PAUSE_AFTER_FAULTS", "3"))
AI_PAUSE_SECONDS = float(os.environ.get("AI_PAUSE_SECONDS", "30"))
AI_PAUSE_MAX_SECONDS = float(os.environ.get("AI_PAUSE_MAX_SECONDS", "600"))
# Calls are refused once this calendar month's logged spend reaches the budget.
AI_MONTHLY_BUDGET_USD = os.environ.get("AI_MONTHLY_BUDGET_USD", "50")
# The model's classification of a new ticket is applied only at this confidence or more;
# below it (or without a confidence) the ticket keeps what the rules gave it.
AI_CLASSIFY_MIN_CONFIDENCE = float(os.environ.get("AI_CLASSIFY_MIN_CONFIDENCE", "0.6"))
# Semantic article search (knowledge.embeddings): an embeddings model name; empty = off.
AI_EMBEDDING_MODEL = os.environ.get("AI_EMBEDDING_MODEL", "")

# Security headers. Scripts and styles need the per-request nonce; nothing loads from a CDN.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
# HTTPS only in production (docs/operations.md). Behind a TLS-terminating proxy, set
# SECURE_PROXY_SSL_HEADER to the header the proxy sets (and always overwrites), e.g.
# HTTP_X_FORWARDED_PROTO: requests it marks "https" count as secure. Never set it when
# clients can reach the app directly, or they could claim HTTPS themselves.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https")
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe the health check over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Browsers remember "HTTPS only" for a year; preload lets them know before the first
    # visit. Set SECURE_HSTS_SECONDS=0 while first trying HTTPS out.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# One cache shared by every web process and worker (the task cluster's status, which
# `manage.py qinfo` and `qmonitor` read): the database by default (`manage.py
# createcachetable`), Redis when REDIS_URL is set. Rate limits and API throttles count in
# their own table (ratelimits.limits).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "helpdesk_cache",
        }
    }

# Rate limits (ratelimits.limits), as "<count>/<period>" with period s, m, h or d, optionally
# with a multiplier ("5/15m"). Login counts failed attempts per username and client IP
# together (the lock a stranger can cause only locks the stranger's address), with higher
# ceilings per username across addresses (distributed guessing) and per client IP across
# usernames (spraying). A browser or address the user signed in from before is not locked by
# these, only slowed down to RATELIMIT_LOGIN_KNOWN. Ticket creation counts portal submissions
# per client IP.
RATELIMIT_LOGIN_PAIR = os.environ.get("RATELIMIT_LOGIN_PAIR", "5/15m")
RATELIMIT_LOGIN_USERNAME = os.environ.get("RATELIMIT_LOGIN_USERNAME", "50/15m")
RATELIMIT_LOGIN_IP = os.environ.get("RATELIMIT_LOGIN_IP", "20/15m")
RATELIMIT_LOGIN_KNOWN = os.environ.get("RATELIMIT_LOGIN_KNOWN", "1/30s")
RATELIMIT_TICKET_CREATE_IP = os.environ.get("RATELIMIT_TICKET_CREATE_IP", "20/h")
# The client IP comes from REMOTE_ADDR. Behind a proxy, name the header it sets, as Django
# spells it in request.META (HTTP_X_FORWARDED_FOR: the rightmost address, the one the proxy
# appended, is used); otherwise every client shares the proxy's address.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
# Off switches every one of these limits off (never in production).
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)

# django-q2 with the ORM broker: no Redis needed. `retry` must exceed `timeout`, or a slow
# task would run a second time while the first is still going. `retry` is also how long a
# task taken by a worker that died waits before another worker is handed it.
Q_TIMEOUT_SECONDS = int(os.environ.get("Q_TIMEOUT_SECONDS", "60"))
Q_RETRY_SECONDS = int(os.environ.get("Q_RETRY_SECONDS", "120"))
# Attempts a task gets before it is given up (a failure in the admin), whether it raised,
# timed out or killed its worker.
Q_MAX_ATTEMPTS = int(os.environ.get("Q_MAX_ATTEMPTS", "5"))
# Seconds each process keeps its copy of the configuration read for every new ticket or
# queue page (classification patterns, priority rules, SLA policies, the filter bar's agents,
# teams and categories; common.config_cache): a change
# applies at once in the process that saved it and within this time everywhere else. 0
# reads the tables every time.
CONFIG_CACHE_SECONDS = int(os.environ.get("CONFIG_CACHE_SECONDS", "30"))
# Successful task results are kept this long for the admin, then deleted hourly.
Q_KEEP_SUCCESS_HOURS = int(os.environ.get("Q_KEEP_SUCCESS_HOURS", "24"))
if Q_RETRY_SECONDS <= Q_TIMEOUT_SECONDS:
    raise ImproperlyConfigured("Q_RETRY_SECONDS must be greater than Q_TIMEOUT_SECONDS.")
Q_CLUSTER = {
    "name": "helpdesk",
    "orm": "default",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": Q_TIMEOUT_SECONDS,
    "retry": Q_RETRY_SECONDS,
    # Attempts per task, counting those that killed their worker (tickets.task_attempts).
    "max_attempts": Q_MAX_ATTEMPTS,
    "queue_limit": 50,
    "catch_up": False,
    # Every result is saved (failures for the admin, successes to see what ran) and never
    # pruned by the cluster itself: with a limit, its single monitor process re-reads up to
    # that many successes under a row lock after EVERY task (43 ms at 1,000 rows, capping
    # the whole cluster near 20 tasks/s). Successes are deleted by a schedule instead
    # (helpdesk:prune-task-results, after Q_KEEP_SUCCESS_HOURS); failures stay until deleted.
    "save_limit": 0,
    "sync": env_bool("Q_SYNC", False),
    "poll": 1,
}
# Workers on several hosts share one queue: the database (the ORM broker above) or, with
# Q_BROKER=redis, the Redis at REDIS_URL (docs/operations.md).
if os.environ.get("Q_BROKER", "orm") == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("Q_BROKER=redis needs REDIS_URL.")
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = REDIS_URL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.UserRateThrottle",
        "api.throttles.IpRateThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiCursorPagination",
    # JSON only: the browsable docs are /api/v1/schema/docs/ (DRF's own HTML pages carry
    # inline scripts the CSP refuses).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.exceptions.api_exception_handler",
}
# API rate limits (api.throttles), "<number>/<second|minute|hour|day>". Per user and
# per client IP on every endpoint; ticket creation and AI queries have their own stricter ones.
API_THROTTLE_RATES = {
    "user": os.environ.get("API_THROTTLE_USER", "1000/hour"),
    "ip": os.environ.get("API_THROTTLE_IP", "2000/hour"),
    "ticket_create": os.environ.get("API_THROTTLE_TICKET_CREATE", "20/hour"),
    "ai": os.environ.get("API_THROTTLE_AI", "30/hour"),
}
API_PAGE_SIZE = int(os.environ.get("API_PAGE_SIZE", "25"))
# Idempotency-Key records (api.idempotency) are kept this long, then deleted daily:
# a client retrying with the same key later than this files a new ticket.
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))
# The OpenAPI document at /api/v1/schema/; Swagger UI's assets come from static files.
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, the agent desk, the knowledge base, AI and webhooks. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Adds the error format (4XX, and the AI proxy's 503) to every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_errors",
    ],
}

DESK_PAGE_SIZE = int(os.environ.get("DESK_PAGE_SIZE", "25"))

# Satisfaction surveys (tickets.surveys): the email goes out this many minutes after a resolve,
# unless the ticket was reopened in the meantime.
SURVEY_DELAY_MINUTES = int(os.environ.get("SURVEY_DELAY_MINUTES", "60"))
# Resolved tickets close by themselves after this many days (an hourly job); 0 turns it off.
AUTO_CLOSE_RESOLVED_DAYS = int(os.environ.get("AUTO_CLOSE_RESOLVED_DAYS", "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
