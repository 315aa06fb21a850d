"""Production settings: `check --deploy` is clean, required values fail loudly when missing,
and real pages carry the security headers with a CSP that allows no inline script or style."""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings

from tests.factories import CustomerWithAccountFactory

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-of-plenty-random-characters-9f3k2LmQ8zX",
    "ALLOWED_HOSTS": "help.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://help.example.com",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # A clean environment: only what a production host would set, plus the interpreter's needs.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_value(*names: str, env: dict[str, str] | None = None) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, "
        "default=str))"
    )
    result = run_manage("shell", "-c", code, env=env or PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_turn_on_https_hsts_and_secure_cookies():
    values = production_value(
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "CSRF_TRUSTED_ORIGINS",
        "CACHES",
        "SECURE_REDIRECT_EXEMPT",
    )

    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    # Trusting a forwarded-proto header is opt-in: without a proxy, clients could forge it.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://help.example.com"]
    assert values["CACHES"]["default"]["BACKEND"].endswith("db.DatabaseCache")
    assert values["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]


def test_behind_a_tls_proxy_the_header_and_redirect_are_configurable():
    env = {
        **PRODUCTION_ENV,
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_PRELOAD": "false",
        "REDIS_URL": "redis://cache.internal:6379/1",
        "Q_BROKER": "redis",
    }
    values = production_value(
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_PRELOAD",
        "CACHES",
        "Q_CLUSTER",
        env=env,
    )

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }
    assert values["Q_CLUSTER"]["redis"] == "redis://cache.internal:6379/1"
    assert "orm" not in values["Q_CLUSTER"]


@pytest.mark.parametrize(
    ("missing", "message"),
    [("SECRET_KEY", "SECRET_KEY must be set"), ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set")],
)
def test_production_refuses_to_start_without_required_values(missing, message):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert message in result.stderr


# Headers on real pages ----------------------------------------------------------------------


@pytest.fixture
def production_headers(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


def script_tags(html: str) -> list[dict[str, str]]:
    tags = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "script":
                tags.append({name: value or "" for name, value in attrs})

    Collector().feed(html)
    return tags


def csp_sources(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


PAGES = ["/portal/", "/kb/", "/login/", "/portal/tickets/", "/desk/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_real_pages_carry_security_headers_and_a_strict_csp(
    client, agent, production_headers, path
):
    if path.startswith("/desk/"):
        client.force_login(agent)
    elif path == "/portal/tickets/":
        client.force_login(CustomerWithAccountFactory().user)

    response = client.get(path, secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    sources = csp_sources(csp)
    assert sources["script-src"][0] == "'self'"
    assert any(source.startswith("'nonce-") for source in sources["script-src"])
    assert sources["object-src"] == ["'none'"]
    assert sources["frame-ancestors"] == ["'none'"]
    # Every inline script carries this response's nonce; others load from our own origin.
    nonce = next(s for s in sources["script-src"] if s.startswith("'nonce-"))[7:-1]
    for attrs in script_tags(response.text):
        if "src" in attrs:
            assert attrs["src"].startswith("/static/"), attrs
        else:
            assert attrs.get("nonce") == nonce, attrs


@pytest.mark.django_db
def test_cookies_are_httponly_and_secure_in_production(client, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    user = CustomerWithAccountFactory().user
    user.set_password("correct horse battery")
    user.save()

    response = client.post(
        "/login/",
        {"username": user.username, "password": "correct horse battery"},
        secure=True,
    )

    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    csrf = response.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"]


@pytest.mark.django_db
def test_plain_http_is_redirected_except_the_health_check_and_proxied_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    redirected = client.get("/portal/")
    proxied = client.get("/portal/", HTTP_X_FORWARDED_PROTO="https")
    health = client.get("/healthz")

    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/portal/"
    assert proxied.status_code == 200
    assert health.status_code == 200


@pytest.mark.parametrize(("flag", "prepared"), [("true", True), ("false", False)])
def test_prepared_statements_are_opt_in_on_postgresql(flag, prepared):
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": "postgres://helpdesk@127.0.0.1:5432/helpdesk",
        "DB_CONN_MAX_AGE": "60",
        "DB_PREPARED_STATEMENTS": flag,
    }
    options = production_value("DATABASES", env=env)["DATABASES"]["default"]["OPTIONS"]

    assert options.get("server_side_binding", False) is prepared
    assert ("prepare_threshold" in options) is prepared
