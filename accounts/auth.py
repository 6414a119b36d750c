"""The ``accesstoken`` authentication of the REST API."""

from ninja.security import APIKeyHeader

from accounts.tokens import (
    TokenError,
    device_for_token,
    device_slide_expiry,
    token_from_request,
)
from spika.errors import ApiError

DEVICE_HEADERS = {
    "os-name": "os_name",
    "os-version": "os_version",
    "device-name": "device_name",
    "app-version": "app_version",
    "device-type": "type",
}


def device_sync_headers(device, headers) -> None:
    """Store each non-empty device header that differs from the stored value, as Spika does."""
    changed = {}
    for header, field in DEVICE_HEADERS.items():
        value = headers.get(header)
        if value and getattr(device, field) != value[:255]:
            changed[field] = value[:255]
    if changed:
        for field, value in changed.items():
            setattr(device, field, value)
        device.save(update_fields=[*changed, "modified_at"])


class DeviceTokenAuth(APIKeyHeader):
    """Authenticates by device token; ``request.auth`` is the Device, ``request.user`` its user."""

    param_name = "accesstoken"

    def __call__(self, request):
        token = token_from_request(request)
        try:
            device = device_for_token(token)
        except TokenError as error:
            raise ApiError(401, str(error)) from None
        device_slide_expiry(device)
        device_sync_headers(device, request.headers)
        request.user = device.user
        request.token = token
        return device

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return self(request)


device_auth = DeviceTokenAuth()
