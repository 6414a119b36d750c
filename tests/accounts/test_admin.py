"""The Django admin for users and devices, and createsuperuser with the custom user."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Device, User
from tests.factories import DeviceFactory, UserFactory


@pytest.fixture
def people(alice, bob, charlie):
    DeviceFactory(user=alice.user, device_id="alice-phone", type="ios", token="alice-phone-t")
    return alice, bob, charlie


def test_pytest_djangos_admin_user_is_a_superuser_of_our_model(admin_user):
    assert isinstance(admin_user, User)
    assert (admin_user.telephone_number, admin_user.is_superuser, admin_user.is_staff) == (
        "admin",
        True,
        True,
    )
    assert admin_user.check_password("password")


# --- users --------------------------------------------------------------------------------


def test_the_user_changelist_lists_users(admin_client, people):
    response = admin_client.get("/admin/accounts/user/")

    assert response.status_code == 200
    assert {u.pk for u in response.context["cl"].result_list} >= {p.user.pk for p in people}
    assert b"+385910000001" in response.content


@pytest.mark.parametrize(
    "term, expected",
    [("+385910000002", {"bob"}), ("charl", {"charlie"}), ("alice@example.com", {"alice"})],
)
def test_users_are_found_by_number_name_and_email(admin_client, people, term, expected):
    response = admin_client.get("/admin/accounts/user/", {"q": term})

    assert response.status_code == 200
    assert {u.display_name for u in response.context["cl"].result_list} == expected


@pytest.mark.parametrize(
    "query",
    [{"verified__exact": "0"}, {"is_staff__exact": "1"}, {"is_active__exact": "1"}],
)
def test_the_user_filters_load(admin_client, people, query):
    UserFactory(display_name="pending", verified=False)

    response = admin_client.get("/admin/accounts/user/", query)

    assert response.status_code == 200
    names = {u.display_name for u in response.context["cl"].result_list}
    if query == {"verified__exact": "0"}:
        assert names == {"pending"}


def test_the_user_changelist_does_not_query_per_row(admin_client, people):
    UserFactory.create_batch(5)
    admin_client.get("/admin/accounts/user/")

    with CaptureQueriesContext(connection) as few:
        admin_client.get("/admin/accounts/user/")
    UserFactory.create_batch(20)
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/admin/accounts/user/")

    assert len(many) == len(few)


def test_a_users_change_form_shows_the_devices_without_tokens(admin_client, people):
    alice = people[0]

    response = admin_client.get(f"/admin/accounts/user/{alice.user.pk}/change/")

    assert response.status_code == 200
    assert b"alice-web" in response.content
    assert b"alice-phone" in response.content
    assert alice.device.token.encode() not in response.content
    assert alice.device.token_hash.encode() not in response.content


def test_a_users_profile_can_be_edited_in_the_admin(admin_client, people):
    alice = people[0]
    form = admin_client.get(f"/admin/accounts/user/{alice.user.pk}/change/").context["adminform"]
    data = {k: v for k, v in form.form.initial.items() if v is not None}
    data.update(
        {
            "display_name": "Alice Admin-edited",
            "groups": [],
            "user_permissions": [],
            "devices-TOTAL_FORMS": "2",
            "devices-INITIAL_FORMS": "2",
            "devices-MIN_NUM_FORMS": "0",
            "devices-MAX_NUM_FORMS": "1000",
            "devices-0-id": str(alice.device.pk),
            "devices-0-user": str(alice.user.pk),
            "devices-1-id": str(Device.objects.get(device_id="alice-phone").pk),
            "devices-1-user": str(alice.user.pk),
        }
    )
    data.pop("password", None)
    data.pop("last_login", None)

    response = admin_client.post(f"/admin/accounts/user/{alice.user.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.user.refresh_from_db()
    assert alice.user.display_name == "Alice Admin-edited"
    assert alice.user.telephone_number == "+385910000001"


def test_the_add_form_creates_a_user_with_a_number_and_password(admin_client, db):
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "telephone_number": "+385990000123",
            "usable_password": "true",
            "password1": "a-long-Pass-phrase-42",
            "password2": "a-long-Pass-phrase-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(telephone_number="+385990000123")
    assert user.check_password("a-long-Pass-phrase-42")
    assert user.telephone_number_hashed is not None
    assert user.is_staff is False


def test_the_add_form_requires_a_number(admin_client, db):
    before = User.objects.count()

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "telephone_number": "",
            "usable_password": "true",
            "password1": "a-long-Pass-phrase-42",
            "password2": "a-long-Pass-phrase-42",
        },
    )

    assert response.status_code == 200
    assert "telephone_number" in response.context["adminform"].form.errors
    assert User.objects.count() == before


def test_the_add_form_refuses_a_taken_number(admin_client, people):
    before = User.objects.count()

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "telephone_number": "+385910000001",
            "usable_password": "true",
            "password1": "a-long-Pass-phrase-42",
            "password2": "a-long-Pass-phrase-42",
        },
    )

    assert response.status_code == 200
    assert "telephone_number" in response.context["adminform"].form.errors
    assert User.objects.count() == before


def test_an_admin_can_change_a_users_password(admin_client, people):
    alice = people[0]
    url = f"/admin/accounts/user/{alice.user.pk}/password/"
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url,
        {
            "usable_password": "true",
            "password1": "another-Long-phrase-7",
            "password2": "another-Long-phrase-7",
        },
    )

    assert response.status_code == 302
    alice.user.refresh_from_db()
    assert alice.user.check_password("another-Long-phrase-7")


# --- devices ------------------------------------------------------------------------------


def test_the_device_changelist_lists_devices_with_their_users(admin_client, people):
    response = admin_client.get("/admin/accounts/device/")

    assert response.status_code == 200
    ids = {d.device_id for d in response.context["cl"].result_list}
    assert ids == {"alice-web", "alice-phone", "bob-web", "charlie-web"}
    assert b"active until" in response.content


def test_the_device_changelist_does_not_query_per_row(admin_client, people):
    admin_client.get("/admin/accounts/device/")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/admin/accounts/device/")
    DeviceFactory.create_batch(10)
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/admin/accounts/device/")

    assert len(many) == len(few)


@pytest.mark.parametrize(
    "term, expected",
    [
        ("alice-phone", {"alice-phone"}),
        ("+385910000002", {"bob-web"}),
        ("charlie", {"charlie-web"}),
    ],
)
def test_devices_are_found_by_device_id_and_user_number_or_name(
    admin_client, people, term, expected
):
    response = admin_client.get("/admin/accounts/device/", {"q": term})

    assert {d.device_id for d in response.context["cl"].result_list} == expected


def test_devices_filter_by_type_and_session(admin_client, people):
    bob = people[1]
    bob.api.post("/auth/logout")

    by_type = admin_client.get("/admin/accounts/device/", {"type": "ios"})
    ended = admin_client.get("/admin/accounts/device/", {"session": "ended"})
    active = admin_client.get("/admin/accounts/device/", {"session": "active"})

    assert {d.device_id for d in by_type.context["cl"].result_list} == {"alice-phone"}
    assert {d.device_id for d in ended.context["cl"].result_list} == {"bob-web"}
    assert {d.device_id for d in active.context["cl"].result_list} == {
        "alice-web",
        "alice-phone",
        "charlie-web",
    }


def test_a_devices_change_form_never_shows_its_token(admin_client, people):
    alice = people[0]

    response = admin_client.get(f"/admin/accounts/device/{alice.device.pk}/change/")

    assert response.status_code == 200
    assert b"alice-web" in response.content
    assert alice.device.token.encode() not in response.content
    assert alice.device.token_hash.encode() not in response.content
    assert "token_hash" not in response.context["adminform"].form.fields


def test_devices_are_not_added_by_hand(admin_client, db):
    assert admin_client.get("/admin/accounts/device/add/").status_code == 403


def test_the_sign_out_action_ends_the_selected_sessions(admin_client, people):
    alice, bob, _ = people

    response = admin_client.post(
        "/admin/accounts/device/",
        {"action": "sign_out", "_selected_action": [alice.device.pk, bob.device.pk]},
    )

    assert response.status_code == 302
    assert alice.api.get("/me")[0] == 401
    assert bob.api.get("/me")[0] == 401
    assert people[2].api.get("/me")[0] == 200


# --- createsuperuser ----------------------------------------------------------------------


def test_createsuperuser_without_prompts_reads_the_environment(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_TELEPHONE_NUMBER", "+385990000000")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "change me please")

    call_command("createsuperuser", interactive=False, verbosity=0)

    user = get_user_model().objects.get(telephone_number="+385990000000")
    assert (user.is_superuser, user.is_staff, user.verified) == (True, True, True)
    assert user.check_password("change me please")


def test_createsuperuser_without_prompts_needs_a_number(db, monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_TELEPHONE_NUMBER", raising=False)

    with pytest.raises(CommandError, match="--telephone_number"):
        call_command("createsuperuser", interactive=False, verbosity=0)


class FakeTTY:
    def isatty(self):
        return True


def test_createsuperuser_asks_for_the_number_and_password(db, monkeypatch, capsys):
    answers = iter(["", "+385990000001"])
    passwords = iter(["a-long-Pass-phrase-42", "a-long-Pass-phrase-42"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))

    call_command("createsuperuser", interactive=True, stdin=FakeTTY())

    user = User.objects.get(telephone_number="+385990000001")
    assert user.is_superuser and user.check_password("a-long-Pass-phrase-42")
    # The blank first answer was refused with a message, then asked again.
    assert "Error: Telephone number cannot be blank." in capsys.readouterr().err


def test_a_devices_owner_cannot_be_changed_in_the_admin(admin_client, people):
    alice, bob, _ = people
    url = f"/admin/accounts/device/{alice.device.pk}/change/"

    response = admin_client.post(
        url, {"user": bob.user.pk, "device_id": "stolen", "device_name": "Renamed"}
    )

    assert response.status_code == 302
    alice.device.refresh_from_db()
    assert (alice.device.user, alice.device.device_id) == (alice.user, "alice-web")
    assert alice.device.device_name == "Renamed"
    assert alice.api.get("/me")[1]["data"]["user"]["id"] == alice.user.pk
