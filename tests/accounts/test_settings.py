"""GET /me/settings (spec §5.7): raw setting rows, dates as ISO-8601 strings."""

from datetime import UTC, datetime

from accounts.models import UserSetting
from tests.accounts.shapes import error, success


def test_my_settings_are_the_raw_rows_with_iso_dates(alice):
    when = datetime(2024, 3, 28, 10, 15, 30, 123000, tzinfo=UTC)
    mute = UserSetting.objects.create(user=alice.user, key="mute_7", value="1", created_at=when)
    pin = UserSetting.objects.create(user=alice.user, key="pin_7", value="0", created_at=when)
    UserSetting.objects.filter(pk__in=[mute.pk, pin.pk]).update(modified_at=when)

    status, body = alice.api.get("/me/settings")

    row = {"userId": alice.user.pk, "createdAt": "2024-03-28T10:15:30.123Z"}
    row["modifiedAt"] = row["createdAt"]
    assert (status, body) == (
        200,
        success(
            {
                "settings": [
                    {"id": mute.pk, **row, "key": "mute_7", "value": "1"},
                    {"id": pin.pk, **row, "key": "pin_7", "value": "0"},
                ]
            }
        ),
    )


def test_my_settings_never_show_another_users(alice, charlie):
    UserSetting.objects.create(user=charlie.user, key="mute_9", value="1")

    assert alice.api.get("/me/settings") == (200, success({"settings": []}))


def test_my_settings_need_a_token(anonymous):
    assert anonymous.get("/me/settings") == (401, error("No access token"))
