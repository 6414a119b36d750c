"""Spika's sanitized user and device (spec §3.1, §3.2) from the rows, for whole-body asserts."""

from spika.schemas import to_millis


def user_json(user) -> dict:
    user.refresh_from_db()
    return {
        "id": user.id,
        "displayName": user.display_name or None,
        "avatarFileId": user.avatar_file_id,
        "telephoneNumber": user.telephone_number,
        "telephoneNumberHashed": user.telephone_number_hashed,
        "emailAddress": user.email_address,
        "verified": user.verified,
        "createdAt": to_millis(user.created_at),
        "modifiedAt": to_millis(user.modified_at),
        "isBot": user.is_bot,
        "deleted": user.deleted,
        "shortDescription": user.short_description,
        "longDescription": user.long_description,
        "coverFileId": user.cover_file_id,
    }


def device_json(device, token=None) -> dict:
    device.refresh_from_db()
    return {
        "id": device.id,
        "userId": device.user_id,
        "token": token,
        "tokenExpiredAt": to_millis(device.token_expired_at),
        "osName": device.os_name,
        "osVersion": device.os_version,
        "appVersion": device.app_version,
        "pushToken": device.push_token,
        "deviceId": device.device_id,
        "deviceName": device.device_name,
        "type": device.type,
    }


def error(message) -> dict:
    return {"status": "error", "message": message}


def success(data) -> dict:
    return {"status": "success", "data": data}
