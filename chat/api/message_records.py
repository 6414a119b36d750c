from ninja import Router

from accounts.auth import device_auth

router = Router(tags=["message_records"], auth=device_auth)
