"""One error format for every 4xx under /api/."""

import pytest

from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_unknown_addresses_are_json_404(anon, alice):
    assert_error(anon.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(alice.post("/api/v1/tickets/x/y/z", {}), 404, "not_found")
    assert_error(anon.get("/api/v2/tickets"), 404, "not_found")


def test_wrong_method_is_405(alice):
    response = alice.delete("/api/v1/tickets")
    assert_error(response, 405, "method_not_allowed")


def test_unsupported_media_type_is_415(alice):
    response = alice.post("/api/v1/tickets", data="<xml/>", content_type="application/xml")
    assert_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_400(alice):
    response = alice.post("/api/v1/tickets", data="{nope", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_anonymous_is_401(anon):
    assert_error(anon.get("/api/v1/tickets"), 401, "not_authenticated")


def test_validation_errors_list_each_field(alice):
    error = assert_error(alice.post("/api/v1/tickets", {}, format="json"), 400, "invalid")
    assert error["fields"]["subject"] == ["This field is required."]


def test_answers_are_json_even_for_a_browser(alice):
    response = alice.get("/api/v1/tickets", HTTP_ACCEPT="text/html,*/*")
    assert response["Content-Type"] == "application/json"
