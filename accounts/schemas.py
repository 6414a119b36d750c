"""REST shapes of accounts: Spika's sanitized user and device (camelCase, milliseconds)."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator, model_serializer

from spika.schemas import MAX_DB_ID, CamelSchema, Millis, OptionalMillis, StrictCamelSchema


class UserOut(CamelSchema):
    id: int
    display_name: str | None
    avatar_file_id: int
    telephone_number: str | None
    telephone_number_hashed: str | None
    email_address: str | None
    verified: bool
    created_at: Millis
    modified_at: Millis
    is_bot: bool
    deleted: bool
    short_description: str | None
    long_description: str | None
    cover_file_id: int | None

    @staticmethod
    def resolve_display_name(user) -> str | None:
        return user.display_name or None


class DeviceOut(CamelSchema):
    id: int
    user_id: int | None
    token: str | None = None
    token_expired_at: OptionalMillis
    os_name: str
    os_version: str
    app_version: str
    push_token: str | None
    device_id: str
    device_name: str
    type: str


class UserEnvelope(CamelSchema):
    user: UserOut


class DeviceEnvelope(CamelSchema):
    device: DeviceOut


class AuthIn(CamelSchema):
    telephone_number: str = Field(min_length=1, max_length=32)
    device_id: str = Field(min_length=1, max_length=255)
    telephone_number_hashed: str | None = None

    @field_validator("telephone_number", mode="before")
    @classmethod
    def number_as_string(cls, value):
        # Spika's validation is not strict here: a number is taken as its digits.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


class AuthOut(CamelSchema):
    is_new_user: bool
    user: UserOut
    device: DeviceOut
    browser_device_id: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_browser_device_id(self, handler):
        # Spika sends browserDeviceId only for browser devices; otherwise the key is absent.
        data = handler(self)
        if self.browser_device_id is None:
            data.pop("browserDeviceId", None)
            data.pop("browser_device_id", None)
        return data


class VerifyIn(StrictCamelSchema):
    code: str = Field(min_length=1, max_length=32)
    device_id: str = Field(min_length=1, max_length=255)


class VerifyOut(CamelSchema):
    user: UserOut
    device: DeviceOut


class MeUpdateIn(StrictCamelSchema):
    telephone_number: str | None = Field(default=None, min_length=1, max_length=32)
    email_address: str | None = Field(default=None, max_length=254)
    display_name: str | None = Field(default=None, max_length=255)
    avatar_file_id: int | None = Field(default=None, ge=0, le=MAX_DB_ID)


class SettingOut(CamelSchema):
    """A raw UserSetting row: Spika sends these dates as ISO-8601 strings."""

    id: int
    user_id: int
    key: str
    value: str
    created_at: datetime
    modified_at: datetime


class SettingsOut(CamelSchema):
    settings: list[SettingOut]


class DeviceUpdateIn(StrictCamelSchema):
    push_token: str = Field(default=None, max_length=512)


class DeletedOut(CamelSchema):
    deleted: bool


class ContactListOut(CamelSchema):
    list: list[UserOut]
    count: int
    limit: int
    next_cursor: int | None


class ContactSyncIn(CamelSchema):
    """``contacts``: number hashes, as an array or one comma-separated string."""

    contacts: str | list[Annotated[str, Field(strict=True, max_length=255)]]
    is_last_page: bool = False

    @field_validator("contacts", mode="after")
    @classmethod
    def hash_list(cls, value):
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if not 1 <= len(value) <= 100:
            raise ValueError("field must have between 1 and 100 items")
        return value


class ContactSyncOut(CamelSchema):
    list: list[UserOut]
    count: int
    limit: int


class BlockOut(CamelSchema):
    id: int
    blocked_id: int
    user_id: int
    created_at: Millis


class BlockEnvelope(CamelSchema):
    block: BlockOut | None


class BlockedUsersOut(CamelSchema):
    blocked_users: list[UserOut]
