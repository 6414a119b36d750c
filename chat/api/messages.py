from ninja import Router

from accounts.auth import device_auth

router = Router(tags=["messages"], auth=device_auth)
