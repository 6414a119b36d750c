from ninja import Router

from accounts.auth import device_auth

router = Router(tags=["rooms"], auth=device_auth)
