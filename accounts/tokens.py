"""Device tokens: made here, hashed here, and looked up here (REST auth and SSE alike)."""

import hashlib
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Device

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 32


class TokenError(Exception):
    """Why a token was refused; the message is the text clients see with the 401."""


def token_new() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def token_hash(token: str) -> str:
    # Tokens are long random strings, so a plain SHA-256 is enough: a leaked table is useless.
    return hashlib.sha256(token.encode()).hexdigest()


def token_expiry(now=None):
    return (now or timezone.now()) + timedelta(days=settings.SPIKA_TOKEN_LIFETIME_DAYS)


def token_from_request(request, *, allow_query: bool = False) -> str | None:
    """The token from ``accesstoken`` (any case), ``Authorization: Bearer``, or the query."""
    token = request.headers.get("accesstoken")
    if not token:
        authorization = request.headers.get("Authorization", "")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
    if not token and allow_query:
        token = request.GET.get("accessToken") or request.GET.get("accesstoken")
    return token or None


def device_for_token(token: str | None, *, now=None) -> Device:
    """The verified user's device that holds ``token``, or ``TokenError`` with Spika's text."""
    if not token:
        raise TokenError("No access token")
    device = Device.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    if device is None:
        raise TokenError("Invalid access token")
    refusal = token_refusal(device, now=now)
    if refusal:
        raise TokenError(refusal)
    return device


def token_refusal(device: Device, *, now=None) -> str | None:
    """Why the device's token no longer signs in (Spika's 401 text), or None while it does.

    The device (loaded with its user) holds a token; ``tokens_valid`` is the same rule as a
    query, for many devices at once.
    """
    now = now or timezone.now()
    if device.token_expired_at is not None and device.token_expired_at < now:
        return "Expired access token"
    if device.user is None or device.user.deleted or not device.user.is_active:
        return "User not found"
    if not device.user.verified:
        return "User is not verified"
    return None


def device_slide_expiry(device: Device, *, now=None) -> None:
    """Spika's sliding expiry: a token close to its end gets a full lifetime again."""
    if device.token_expired_at is None:
        return
    now = now or timezone.now()
    if device.token_expired_at < now + timedelta(days=settings.SPIKA_TOKEN_REFRESH_DAYS):
        device.token_expired_at = token_expiry(now)
        Device.objects.filter(pk=device.pk).update(
            token_expired_at=device.token_expired_at, modified_at=now
        )


def tokens_valid(device_ids, *, now=None) -> dict[int, str]:
    """``{device id: token hash}`` for those of ``device_ids`` whose token still signs in.

    The rules of ``device_for_token`` in one query, for open streams to recheck their device
    (``eventstream.hub``): a signed-out, deleted or expired device, or a user who is deleted,
    deactivated or unverified, is missing from the answer.
    """
    now = now or timezone.now()
    devices = Device.objects.filter(
        pk__in=device_ids,
        token_hash__isnull=False,
        user__deleted=False,
        user__is_active=True,
        user__verified=True,
    ).exclude(token_expired_at__lt=now)
    return dict(devices.values_list("pk", "token_hash"))
