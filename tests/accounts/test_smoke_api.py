def test_me_answers_the_callers_profile_in_the_envelope(alice):
    status, body = alice.api.get("/me")
    assert status == 200
    assert body["status"] == "success"
    assert body["data"]["user"]["id"] == alice.user.id
    assert body["data"]["user"]["displayName"] == "alice"
