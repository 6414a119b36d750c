from ninja import Router

from accounts.auth import device_auth

router = Router(tags=["users"], auth=device_auth)
