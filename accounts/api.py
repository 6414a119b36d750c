"""Routes: /auth, /me, /device, /contacts. Each loads, calls one service, returns."""

from django.conf import settings
from ninja import Router

from accounts import selectors, services
from accounts.auth import device_auth
from accounts.models import UserSetting
from accounts.schemas import (
    AuthIn,
    AuthOut,
    ContactListOut,
    ContactSyncIn,
    ContactSyncOut,
    DeletedOut,
    DeviceEnvelope,
    DeviceUpdateIn,
    MeUpdateIn,
    SettingsOut,
    UserEnvelope,
    VerifyIn,
    VerifyOut,
)
from spika.errors import ApiError

auth_router = Router(tags=["auth"])
me_router = Router(tags=["me"], auth=device_auth)
device_router = Router(tags=["device"], auth=device_auth)
contacts_router = Router(tags=["contacts"], auth=device_auth)

CONTACTS_PER_PAGE = 20
CONTACTS_SYNC_LIMIT = 100


def client_address(request) -> str:
    """The address code requests are counted by: the proxy's header when configured."""
    header = settings.SPIKA_CLIENT_ADDRESS_HEADER
    if header:
        # X-Forwarded-For lists every hop; the last one was written by our own proxy.
        forwarded = request.headers.get(header, "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


@auth_router.get("", include_in_schema=False)
def auth_get(request):
    raise ApiError(405, "Method not allowed")


@auth_router.post("", response=AuthOut, by_alias=True)
def auth_request(request, payload: AuthIn):
    result = services.auth_code_request(
        telephone_number=payload.telephone_number,
        device_id=payload.device_id,
        info=services.DeviceInfo.from_headers(request.headers),
        client_address=client_address(request),
    )
    answer = {"is_new_user": result.is_new_user, "user": result.user, "device": result.device}
    if result.device.type == services.BROWSER:
        answer["browser_device_id"] = result.device.device_id
    return answer


@auth_router.post("/verify", response=VerifyOut, by_alias=True)
def auth_verify(request, payload: VerifyIn):
    user, device, token = services.auth_verify(code=payload.code, device_id=payload.device_id)
    device.token = token
    return {"user": user, "device": device}


@auth_router.post("/logout", response=DeviceEnvelope, by_alias=True, auth=device_auth)
def auth_logout(request):
    return {"device": services.auth_logout(device=request.auth)}


@me_router.get("", response=UserEnvelope, by_alias=True)
def me_get(request):
    return {"user": request.user}


@me_router.put("", response=UserEnvelope, by_alias=True)
def me_update(request, payload: MeUpdateIn):
    return {"user": services.user_update(user=request.user, **payload.model_dump())}


@me_router.delete("", response=DeletedOut, by_alias=True)
def me_delete(request):
    services.user_delete(user=request.user)
    return {"deleted": True}


@me_router.get("/settings", response=SettingsOut, by_alias=True)
def me_settings(request):
    return {"settings": UserSetting.objects.filter(user=request.user)}


@device_router.get("", response=DeviceEnvelope, by_alias=True)
def device_get(request):
    # The token is not stored in the clear; the caller sent it, so it is echoed back.
    request.auth.token = request.token
    return {"device": request.auth}


@device_router.put("", response=DeviceEnvelope, by_alias=True)
def device_update(request, payload: DeviceUpdateIn):
    device = services.device_push_token_set(device=request.auth, push_token=payload.push_token)
    device.token = request.token
    return {"device": device}


@contacts_router.get("", response=ContactListOut, by_alias=True)
def contacts_list(request, cursor: str | None = None, keyword: str = ""):
    cursor_id = None
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit()):
            raise ApiError(400, "Invalid params ValidationError: query.cursor must be a number")
        cursor_id = int(cursor)
    users, count, next_cursor = selectors.contacts_page(
        user_id=request.user.pk, keyword=keyword, cursor=cursor_id, per_page=CONTACTS_PER_PAGE
    )
    return {"list": users, "count": count, "limit": CONTACTS_PER_PAGE, "next_cursor": next_cursor}


@contacts_router.post("", response=ContactSyncOut, by_alias=True)
def contacts_sync(request, payload: ContactSyncIn):
    users = services.contacts_sync(
        user=request.user, hashes=payload.contacts, is_last_page=payload.is_last_page
    )
    return {"list": users, "count": len(users), "limit": CONTACTS_SYNC_LIMIT}
