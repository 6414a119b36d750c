"""The API docs named in the README load and describe the token scheme."""

from django.test import Client


def test_the_interactive_docs_load(db):
    response = Client().get("/api/messenger/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_the_schema_lists_the_routes_and_the_accesstoken_scheme(db):
    response = Client().get("/api/messenger/openapi.json")

    schema = response.json()
    assert response.status_code == 200
    assert schema["info"]["title"] == "Spika messenger API"
    assert schema["components"]["securitySchemes"] == {
        "DeviceTokenAuth": {"type": "apiKey", "in": "header", "name": "accesstoken"}
    }
    assert schema["paths"]["/api/messenger/me"]["get"]["security"] == [{"DeviceTokenAuth": []}]
    assert "security" not in schema["paths"]["/api/messenger/auth"]["post"]
    for path in [
        "/api/messenger/auth/verify",
        "/api/messenger/me/settings",
        "/api/messenger/device",
    ]:
        assert path in schema["paths"]


def test_the_site_root_leads_to_the_docs(db):
    response = Client().get("/")

    assert (response.status_code, response["Location"]) == (302, "/api/messenger/docs")
