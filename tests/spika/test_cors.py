"""CORS as Spika sends it (spec §1.1): any origin, any method, every OPTIONS is 200."""

import pytest
from django.test import Client

ALLOW_HEADERS = (
    "Content-Type, Authorization, access-token, adminAccessToken, accesstoken, accessToken, "
    "device-name, os-name, os-version, device-type, app-version, Last-Event-ID"
)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "*",
    "Access-Control-Allow-Headers": ALLOW_HEADERS,
}


def cors_headers(response):
    return {name: response.get(name) for name in CORS}


def test_a_preflight_is_200_with_the_cors_headers(db):
    response = Client().options(
        "/api/messenger/me",
        headers={
            "Origin": "https://web.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "accesstoken, content-type",
        },
    )

    assert response.status_code == 200
    assert cors_headers(response) == CORS


@pytest.mark.parametrize("path", ["/api/messenger/auth", "/api/messenger/nope", "/api/sse"])
def test_every_options_under_api_is_200(db, path):
    assert Client().options(path).status_code == 200


def test_answers_carry_the_cors_headers(alice):
    response = alice.api.client.get(
        "/api/messenger/me", headers={"accesstoken": alice.device.token}
    )

    assert response.status_code == 200
    assert cors_headers(response) == CORS


def test_error_answers_carry_the_cors_headers_too(db):
    """A browser must be able to read a 401 to log out."""
    response = Client().get("/api/messenger/me", headers={"Origin": "https://web.example"})

    assert response.status_code == 401
    assert cors_headers(response) == CORS


def test_pages_outside_the_api_get_no_cors_headers(db):
    response = Client().get("/admin/login/")

    assert response.get("Access-Control-Allow-Origin") is None
