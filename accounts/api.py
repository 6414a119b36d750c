"""Routes: /auth, /me, /device. Each loads, calls one service, returns."""

from ninja import Router

from accounts import services
from accounts.auth import device_auth
from accounts.models import UserSetting
from accounts.schemas import (
    AuthIn,
    AuthOut,
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


@auth_router.get("", include_in_schema=False)
def auth_get(request):
    raise ApiError(405, "Method not allowed")


@auth_router.post("", response=AuthOut, by_alias=True)
def auth_request(request, payload: AuthIn):
    result = services.auth_code_request(
        telephone_number=payload.telephone_number,
        device_id=payload.device_id,
        info=services.DeviceInfo.from_headers(request.headers),
        client_address=request.META.get("REMOTE_ADDR", ""),
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
