"""The envelope on every error path of the API object (spika/api.py, spika/middleware.py)."""

import json

import pytest
from django.db import DataError
from django.test import Client, RequestFactory, override_settings

from spika.api import api, validation_message
from spika.errors import ApiError


def error(message):
    return {"status": "error", "message": message}


@pytest.mark.parametrize(
    "path",
    [
        "/api/messenger/nope",
        "/api/messenger/me/extra/parts",
        "/api/messenger/",
        "/api/nope",
        "/api/",
    ],
)
def test_unknown_routes_under_api_are_404_envelopes(anonymous, path):
    response = Client().get(path)

    assert response.status_code == 404
    assert response.json() == error("Not found")


def test_a_known_route_with_an_unknown_method_is_a_405_envelope(alice):
    assert alice.api.request("PATCH", "/me") == (405, error("Method not allowed"))


def test_malformed_json_is_a_400_envelope(anonymous):
    assert anonymous.post("/auth", raw="{oops") == (400, error("Cannot parse request body"))


def test_a_body_over_the_limit_is_a_413_envelope(anonymous, django_user_model):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        status, body = anonymous.post("/auth", {"telephoneNumber": "1", "deviceId": "x" * 2000})

    assert (status, body) == (413, error("Request body is too large"))
    assert django_user_model.objects.count() == 0


def test_a_validation_error_names_the_first_field_only(anonymous):
    status, body = anonymous.post("/auth", {})

    assert (status, body) == (
        400,
        error("Invalid params ValidationError: body.telephoneNumber Field required"),
    )


def test_validation_message_without_errors():
    assert validation_message([]) == "Invalid params"


def _handled(exc):
    request = RequestFactory().get("/api/messenger/anything")
    response = api.on_exception(request, exc)
    return response.status_code, json.loads(response.content)


def test_an_api_error_is_its_status_and_message():
    assert _handled(ApiError(409, "Room already exists")) == (409, error("Room already exists"))


@pytest.mark.parametrize("exc", [DataError("bigint out of range"), OverflowError("int too large")])
def test_a_value_past_the_databases_range_is_a_400_envelope(exc):
    assert _handled(exc) == (400, error("Invalid params"))


def test_an_unexpected_exception_is_a_500_envelope_without_details(caplog):
    assert _handled(RuntimeError("secret detail")) == (500, error("Server error"))
    assert "secret detail" in caplog.text


def test_success_answers_are_wrapped(alice):
    status, body = alice.api.get("/me")

    assert status == 200
    assert set(body) == {"status", "data"}
    assert body["status"] == "success"


def test_django_errors_outside_the_api_keep_their_own_pages(db):
    response = Client().get("/no-such-page")

    assert response.status_code == 404
    assert not response.get("Content-Type", "").startswith("application/json")


def test_a_body_over_the_configured_limit_is_a_413_envelope(alice, settings):
    """The real limit, not a lowered one: a body just past DATA_UPLOAD_MAX_MEMORY_SIZE."""
    filler = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    before = type(alice.user).objects.values().get(pk=alice.user.pk)

    status, body = alice.api.put("/me", {"displayName": "Ana", "longDescription": filler})

    assert (status, body) == (413, error("Request body is too large"))
    assert type(alice.user).objects.values().get(pk=alice.user.pk) == before
