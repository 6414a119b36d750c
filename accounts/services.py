"""Writes of accounts: sign-in, profile, devices. Keyword-only, one transaction each."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import (
    Block,
    CodeRequest,
    Contact,
    Device,
    User,
    UserSetting,
    VerificationCode,
)
from accounts.signals import user_deleted
from accounts.sms import sms_send
from accounts.tokens import token_expiry, token_hash, token_new
from spika.errors import ApiError

BROWSER = "browser"


@dataclass
class DeviceInfo:
    """What a client says about itself in its headers."""

    type: str = ""
    os_name: str = ""
    os_version: str = ""
    device_name: str = ""
    app_version: str = ""

    @classmethod
    def from_headers(cls, headers) -> "DeviceInfo":
        def header(name):
            return (headers.get(name) or "")[:255]

        return cls(
            type=header("device-type"),
            os_name=header("os-name"),
            os_version=header("os-version"),
            device_name=header("device-name"),
            app_version=header("app-version")[:64],
        )


@dataclass
class CodeRequested:
    user: User
    device: Device
    is_new_user: bool


def _code_hash(code: str) -> str:
    # Keyed: six digits are too few for a plain hash to hide them from a copy of the database.
    return salted_hmac("accounts.verification-code", code, algorithm="sha256").hexdigest()


def _code_new() -> str:
    if settings.SPIKA_FIXED_VERIFICATION_CODE:
        return settings.SPIKA_FIXED_VERIFICATION_CODE
    return f"{secrets.randbelow(10**6):06d}"


def _code_requests_check(*, telephone_number: str, client_address: str, now) -> None:
    since = now - timedelta(seconds=settings.SPIKA_CODE_REQUEST_WINDOW_SECONDS)
    recent = CodeRequest.objects.filter(created_at__gte=since)
    if recent.filter(telephone_number=telephone_number).count() >= (
        settings.SPIKA_CODE_REQUESTS_PER_NUMBER
    ):
        raise ApiError(429, "Too many code requests for this number, try again later")
    if recent.filter(client_address=client_address).count() >= (
        settings.SPIKA_CODE_REQUESTS_PER_ADDRESS
    ):
        raise ApiError(429, "Too many code requests from this address, try again later")
    CodeRequest.objects.filter(created_at__lt=since).delete()


@transaction.atomic
def auth_code_request(
    *, telephone_number: str, device_id: str, info: DeviceInfo, client_address: str
) -> CodeRequested:
    """``POST /auth``: find or create the user and device, and send a new code."""
    now = timezone.now()
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(device_id=device_id)
        .first()
    )
    if (
        device is not None
        and device.user is not None
        and device.user.verified
        and device.token_hash is not None
        and device.user.telephone_number != telephone_number
        and info.type != BROWSER
    ):
        raise ApiError(403, "There is already phone number tied to this device")
    _code_requests_check(telephone_number=telephone_number, client_address=client_address, now=now)
    CodeRequest.objects.create(
        telephone_number=telephone_number, client_address=client_address, created_at=now
    )

    user = User.objects.filter(telephone_number=telephone_number).first()
    is_new_user = user is None or not user.display_name
    if user is None:
        user = User.objects.create_user(telephone_number=telephone_number)
    elif user.deleted:
        raise ApiError(403, "This account was deleted")
    else:
        user.save(update_fields=["modified_at"])

    code = _code_new()
    VerificationCode.objects.update_or_create(
        user=user, defaults={"code_hash": _code_hash(code), "attempts": 0, "created_at": now}
    )
    device = _device_attach(device=device, device_id=device_id, user=user, info=info)
    if not settings.SPIKA_FIXED_VERIFICATION_CODE:
        text = f"Thank you for your signup request.Your verification code is {code}"
        transaction.on_commit(
            lambda: sms_send(telephone_number=telephone_number, text=text), robust=True
        )
    return CodeRequested(user=user, device=device, is_new_user=is_new_user)


def _device_attach(*, device: Device | None, device_id: str, user: User, info: DeviceInfo):
    if device is None:
        return Device.objects.create(
            device_id=device_id,
            user=user,
            type=info.type,
            os_name=info.os_name,
            os_version=info.os_version,
            device_name=info.device_name,
            app_version=info.app_version,
        )
    fields = ["user", "modified_at"]
    if device.user_id != user.pk:
        # Spika keeps a browser's token when the device changes owner [quirk]: the old token
        # would then sign in as the new number without its code. The session ends here.
        device.token_hash = None
        device.token_expired_at = timezone.now()
        device.push_token = None
        fields += ["token_hash", "token_expired_at", "push_token"]
    elif info.type != BROWSER:
        # A mobile device signing in again loses its old session and push registration.
        device.token_expired_at = timezone.now()
        device.push_token = None
        fields += ["token_expired_at", "push_token"]
    device.user = user
    device.save(update_fields=fields)
    return device


def auth_verify(*, code: str, device_id: str) -> tuple[User, Device, str]:
    """``POST /auth/verify``: check the code; give the device a new token (returned raw once).

    A wrong try is counted (and committed) before the refusal is raised.
    """
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(device_id=device_id).first()
        if device is None:
            raise ApiError(404, "Device not found")
        refusal = _code_check(user_id=device.user_id, code=code)
        if refusal is None:
            return _device_sign_in(device)
    raise refusal


def _code_check(*, user_id: int | None, code: str) -> ApiError | None:
    """None when ``code`` is the user's pending code (which is then used up), else the refusal.

    An expired code, or one tried wrongly too often, stays refused (even when right) until a
    new one is requested.
    """
    pending = VerificationCode.objects.select_for_update().filter(user_id=user_id).first()
    if user_id is None or pending is None:
        return ApiError(403, "Verification code is invalid")
    lifetime = timedelta(seconds=settings.SPIKA_CODE_LIFETIME_SECONDS)
    if timezone.now() - pending.created_at > lifetime:
        return ApiError(403, "Verification code has expired, request a new one")
    if pending.attempts >= settings.SPIKA_CODE_MAX_ATTEMPTS:
        return ApiError(403, "Too many wrong codes, request a new one")
    if hmac.compare_digest(pending.code_hash, _code_hash(code)):
        pending.delete()
        return None
    pending.attempts += 1
    pending.save(update_fields=["attempts"])
    if pending.attempts >= settings.SPIKA_CODE_MAX_ATTEMPTS:
        return ApiError(403, "Too many wrong codes, request a new one")
    return ApiError(403, "Verification code is invalid")


def _device_sign_in(device: Device) -> tuple[User, Device, str]:
    user = device.user
    if not user.verified:
        user.verified = True
        user.save(update_fields=["verified", "modified_at"])
    token = token_new()
    device.token_hash = token_hash(token)
    device.token_expired_at = token_expiry()
    device.push_token = None
    device.save(update_fields=["token_hash", "token_expired_at", "push_token", "modified_at"])
    return user, device, token


def auth_logout(*, device: Device) -> Device:
    device.token_hash = None
    device.token_expired_at = timezone.now()
    device.push_token = None
    device.save(update_fields=["token_hash", "token_expired_at", "push_token", "modified_at"])
    return device


def device_push_token_set(*, device: Device, push_token: str | None) -> Device:
    if push_token is not None:
        device.push_token = push_token
        device.save(update_fields=["push_token", "modified_at"])
    return device


@transaction.atomic
def user_update(
    *,
    user: User,
    telephone_number: str | None = None,
    email_address: str | None = None,
    display_name: str | None = None,
    avatar_file_id: int | None = None,
) -> User:
    """``PUT /me``. The model's post_save turns this into USER_UPDATE for everyone concerned."""
    others = User.objects.exclude(pk=user.pk)
    if email_address and others.filter(email_address=email_address).exists():
        raise ApiError(400, "User with that email exists")
    if telephone_number and others.filter(telephone_number=telephone_number).exists():
        raise ApiError(400, "User with that telephoneNumber exists")
    changes = {
        "telephone_number": telephone_number,
        "email_address": email_address,
        "display_name": display_name,
        "avatar_file_id": avatar_file_id,
    }
    for field, value in changes.items():
        if value is not None:
            setattr(user, field, value)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Lost a race with another user taking the same number or address.
        raise ApiError(400, "User with that telephoneNumber or email exists") from None
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """``DELETE /me``: anonymise the account and cut every tie; private rooms keep the history."""
    user.deleted = True
    user.display_name = f"Deleted user {user.pk}"
    user.avatar_file_id = 0
    user.telephone_number = None
    user.telephone_number_hashed = None
    user.email_address = None
    user.save()
    Device.objects.filter(user=user).delete()
    Contact.objects.filter(user=user).delete()
    Contact.objects.filter(contact=user).delete()
    Block.objects.filter(user=user).delete()
    Block.objects.filter(blocked=user).delete()
    UserSetting.objects.filter(user=user).delete()
    # chat removes the group memberships (accounts does not know about rooms).
    user_deleted.send(sender=User, user=user)


# How long a contact stays after the phone book stopped listing it (Spika prunes at 10 min).
CONTACT_KEEP = timedelta(minutes=10)


@transaction.atomic
def contacts_sync(*, user: User, hashes: list[str], is_last_page: bool) -> list[User]:
    """``POST /contacts``: the verified users whose number hashes are listed become contacts.

    Contacts already known are confirmed again. After the last page of a phone-book upload,
    contacts no longer confirmed in the last ten minutes are removed.
    """
    matches = list(
        User.objects.filter(telephone_number_hashed__in=hashes, verified=True).order_by("id")
    )
    now = timezone.now()
    others = [match for match in matches if match.pk != user.pk]
    Contact.objects.bulk_create(
        [Contact(user=user, contact=other, last_confirmed_at=now) for other in others],
        ignore_conflicts=True,
    )
    Contact.objects.filter(user=user, contact__in=others).update(last_confirmed_at=now)
    if is_last_page:
        Contact.objects.filter(user=user, last_confirmed_at__lt=now - CONTACT_KEEP).delete()
    return matches


def block_create(*, user: User, blocked_id: int) -> Block:
    """``POST /blocks``; blocking the same user again answers the existing block."""
    blocked = User.objects.filter(pk=blocked_id).first()
    if blocked is None:
        raise ApiError(404, "there is no user with that blockedId")
    block, _ = Block.objects.get_or_create(user=user, blocked=blocked)
    return block


def blocks_delete(
    *, user: User, block_id: int | None = None, blocked_id: int | None = None
) -> None:
    """``DELETE /blocks/:id`` and ``/blocks/userId/:id``: the caller's block, by its id or by
    the blocked user's. None found is no error: Spika answers ``deleted: true`` either way."""
    blocks = Block.objects.filter(user=user)
    if block_id is not None:
        blocks = blocks.filter(pk=block_id)
    if blocked_id is not None:
        blocks = blocks.filter(blocked_id=blocked_id)
    blocks.delete()
