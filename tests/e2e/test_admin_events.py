"""An operator's fixes in the admin reach the members' streams live, as the API's would.

A real server; the operator signs in to /admin/ over HTTP (session cookie, CSRF token) and
posts the admin's own forms; the members' streams, open on the same server, get the frames.

One story in one test, on a server of its own: the admin caches content-type ids in the server
process (for its change log), and the test database is flushed between tests, which gives the
content types new ids. A fresh server that serves a single test never holds stale ones.
"""

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.db import transaction

from accounts.models import Device, User
from chat.models import Message, RoomUser
from eventstream import payloads
from tests.e2e.harness import ServerProcess, SseStream
from tests.factories import room_with

PASSWORD = "a long operator password"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class AdminSession:
    """A browser on /admin/: keeps the cookies, sends the CSRF token with every form."""

    def __init__(self, base_url):
        self.host = base_url.split("//", 1)[1]
        self.cookies = {}

    def request(self, method, path, form=None):
        conn = http.client.HTTPConnection(self.host, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers, text

    def sign_in(self, telephone_number, password):
        status, _, page = self.request("GET", "/admin/login/")
        assert status == 200 and CSRF_INPUT.search(page)
        form = {"username": telephone_number, "password": password, "next": "/admin/"}
        status, headers, _ = self.request("POST", "/admin/login/?next=/admin/", form)
        assert (status, headers["Location"]) == (302, "/admin/"), "operator sign-in failed"
        return self

    def post(self, path, form):
        """A form post the admin accepts: it answers with a redirect, never a page of errors."""
        status, headers, page = self.request("POST", path, form)
        assert status == 302, page[:3000]
        return headers["Location"]


@pytest.fixture(scope="module")
def admin_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = ServerProcess().start()
    yield server
    server.stop()


@pytest.fixture
def server(admin_server, transactional_db):
    return admin_server


@pytest.fixture
def operator(server):
    User.objects.create_superuser("+385990000000", PASSWORD)
    return AdminSession(server.url).sign_in("+385990000000", PASSWORD)


def open_stream(server, persona):
    stream = SseStream(server.url, token=persona.device.token)
    assert stream.status == 200
    return stream


def action(operator, model, name, objects):
    form = {"action": name, "_selected_action": [obj.pk for obj in objects], "index": "0"}
    return operator.post(f"/admin/{model}/", form)


def room_change_form(room, memberships, **changes):
    form = {
        "type": room.type,
        "name": room.name,
        "avatar_file_id": room.avatar_file_id,
        "members-TOTAL_FORMS": len(memberships),
        "members-INITIAL_FORMS": len(memberships),
        "members-2-TOTAL_FORMS": 0,
        "members-2-INITIAL_FORMS": 0,
        **changes,
    }
    for i, membership in enumerate(memberships):
        form[f"members-{i}-id"] = membership.pk
        form[f"members-{i}-room"] = room.pk
        if membership.is_admin:
            form[f"members-{i}-is_admin"] = "on"
    return form


def user_change_form(user, **changes):
    form = {
        "telephone_number": user.telephone_number,
        "display_name": user.display_name,
        "email_address": user.email_address,
        "avatar_file_id": user.avatar_file_id,
        "verified": "on",
        "is_active": "on",
        "devices-TOTAL_FORMS": 0,
        "devices-INITIAL_FORMS": 0,
    }
    return form | changes


def test_an_operators_fixes_reach_the_members_streams(server, operator, alice, bob, charlie):
    with transaction.atomic():
        room = room_with(alice.user, bob.user, name="Climbing", admins=[alice.user])
    with open_stream(server, alice) as alices, open_stream(server, bob) as bobs:
        # A message written in the admin: NEW_MESSAGE, counting the room's members.
        form = {"room": room.pk, "from_user": alice.user.pk, "type": "text", "local_id": ""}
        operator.post("/admin/chat/message/add/", form | {"body": '{"text": "from the admin"}'})
        message = Message.objects.get(body__text="from the admin")
        new = payloads.new_message(message)
        assert new["message"]["totalUserCount"] == 2
        assert bobs.next_event()["data"] == alices.next_event()["data"] == new

        # Deleted for everyone with the action: DELETE_MESSAGE, as the API's delete.
        action(operator, "chat/message", "delete_for_everyone", [message])
        message.refresh_from_db()
        deleted = payloads.delete_message(message)
        assert deleted["message"]["body"] == {"text": "Deleted message"}
        assert bobs.next_event()["data"] == alices.next_event()["data"] == deleted

        # Renamed in the room form: UPDATE_ROOM to every member.
        memberships = list(RoomUser.objects.filter(room=room).order_by("id"))
        form = room_change_form(room, memberships, name="Bouldering")
        operator.post(f"/admin/chat/room/{room.pk}/change/", form)
        for stream in (alices, bobs):
            event = stream.next_event()["data"]
            assert (event["type"], event["room"]["name"]) == ("UPDATE_ROOM", "Bouldering")

        # A profile fix in the user form: USER_UPDATE to the user and who shares a room.
        form = user_change_form(alice.user, display_name="Alice B.")
        operator.post(f"/admin/accounts/user/{alice.user.pk}/change/", form)
        for stream in (alices, bobs):
            event = stream.next_event()["data"]
            assert (event["type"], event["user"]["displayName"]) == ("USER_UPDATE", "Alice B.")

        # bob removed in the room form: REMOVED_FROM_ROOM to him, UPDATE_ROOM to the rest.
        room.refresh_from_db()
        form = room_change_form(room, memberships, **{"members-1-DELETE": "on"})
        operator.post(f"/admin/chat/room/{room.pk}/change/", form)
        assert bobs.next_event()["data"] == {"type": "REMOVED_FROM_ROOM", "roomId": room.pk}
        update = alices.next_event()["data"]
        assert update["type"] == "UPDATE_ROOM"
        assert [user["userId"] for user in update["room"]["users"]] == [alice.user.pk]

        # Deleted with the action: DELETE_ROOM to the members it has, not to bob any more.
        action(operator, "chat/room", "soft_delete_rooms", [room])
        event = alices.next_event()["data"]
        assert (event["type"], event["room"]["id"], event["room"]["deleted"]) == (
            "DELETE_ROOM",
            room.pk,
            True,
        )
        # bob's next frame is the one published after the room's delete, not DELETE_ROOM.
        action(operator, "accounts/device", "sign_out", [charlie.device])
        operator.post(
            f"/admin/accounts/user/{bob.user.pk}/change/",
            user_change_form(bob.user, display_name="Bob B."),
        )
        assert bobs.next_event()["data"]["type"] == "USER_UPDATE"

    # charlie's device was signed out by the action: his token opens no stream now.
    assert Device.objects.get(pk=charlie.device.pk).token_hash is None
    with SseStream(server.url, token=charlie.device.token) as stream:
        assert stream.status == 401
