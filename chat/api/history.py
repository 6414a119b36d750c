from ninja import Router

from accounts.auth import device_auth

router = Router(tags=["history"], auth=device_auth)
