from tests.e2e.harness import http_json, sign_in


def test_a_browser_signs_in_and_reads_its_profile_over_http(server):
    token = sign_in(server.url, "+385920000001", "e2e-web-1", display_name="Ana")
    status, body = http_json(server.url, "GET", "/api/messenger/me", token=token)
    assert status == 200
    assert body["data"]["user"]["displayName"] == "Ana"
    assert body["data"]["user"]["telephoneNumber"] == "+385920000001"
