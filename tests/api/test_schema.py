"""The OpenAPI document: it validates, and every endpoint under /api/v1/ is in it (the URL
table is walked, so a new endpoint without a schema fails here). The docs page loads its
assets from our static files only."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

NOT_ENDPOINTS = {"schema", "docs"}  # the document and its docs page describe the others
METHODS = {"get", "post", "put", "patch", "delete"}


def _api_patterns():
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and str(entry.pattern) == "api/v1/":
            return entry.url_patterns
    raise AssertionError("/api/v1/ is not in the URL table")


def _openapi_path(route: str) -> str:
    return "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def api_endpoints() -> dict[str, set[str]]:
    """Every routed endpoint under /api/v1/ with the HTTP methods its view answers."""
    endpoints = {}
    for pattern in _api_patterns():
        assert isinstance(pattern, URLPattern)
        if pattern.name in NOT_ENDPOINTS or pattern.name is None:
            continue  # the catch-all 404 has no name
        view = pattern.callback.view_class
        methods = {m for m in METHODS if hasattr(view, m)}
        endpoints[_openapi_path(str(pattern.pattern))] = methods
    return endpoints


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_validates(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_every_endpoint_and_method_is_in_the_schema(schema):
    endpoints = api_endpoints()
    assert len(endpoints) >= 13
    for path, methods in endpoints.items():
        assert path in schema["paths"], f"{path} is missing from the OpenAPI schema"
        assert methods <= set(schema["paths"][path]), path


def test_schema_has_no_unrouted_paths(schema):
    assert set(schema["paths"]) == set(api_endpoints())


def test_bearer_auth_is_described(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_schema_endpoint_serves_json(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/tickets" in response.json()["paths"]


@pytest.mark.django_db
def test_docs_page_uses_no_external_urls(client):
    page = client.get("/api/v1/schema/docs/")
    script = client.get("/api/v1/schema/docs/?script=")

    assert page.status_code == 200 and script.status_code == 200
    html = page.content.decode()
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "http://" not in script.content.decode() and "https://" not in script.content.decode()
    assets = re.findall(r"""(?:src|href)=["']/static/([^"'?]+)""", html)
    assert len(assets) >= 3
    for asset in assets:
        assert finders.find(asset), asset
