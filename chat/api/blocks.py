"""Routes: /blocks (spec §5.15, as master).

Here rather than in accounts because one of them looks at a room, and accounts does not know
about rooms.
"""

from typing import Any

from ninja import Router

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.auth import device_auth
from accounts.schemas import BlockedUsersOut, BlockEnvelope, DeletedOut
from chat import selectors
from chat.api.params import path_id
from spika.errors import ApiError
from spika.schemas import CamelSchema

router = Router(tags=["blocks"], auth=device_auth)


class BlockIn(CamelSchema):
    # Spika validates nothing: a number or a numeric string is taken, anything else is a 400.
    blocked_id: Any = None


def _id_from(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return path_id(value) if isinstance(value, str) else None


@router.get("", response=BlockedUsersOut, by_alias=True)
def block_list(request):
    return {"blocked_users": account_selectors.blocked_users(user_id=request.user.pk)}


@router.post("", response=BlockEnvelope, by_alias=True)
def block_create(request, payload: BlockIn):
    blocked_id = _id_from(payload.blocked_id)
    if blocked_id is None:
        raise ApiError(400, "blockedId must be number")
    return {"block": account_services.block_create(user=request.user, blocked_id=blocked_id)}


@router.get("/rooms/{room_id}", response=BlockEnvelope, by_alias=True)
def block_of_room(request, room_id: str):
    block = selectors.private_room_block(user_id=request.user.pk, room_id=path_id(room_id))
    return {"block": block}


@router.delete("/userId/{blocked_id}", response=DeletedOut, by_alias=True)
def block_delete_by_user(request, blocked_id: str):
    user_id = path_id(blocked_id)
    if user_id is None:
        raise ApiError(400, "blockId must be number")
    account_services.blocks_delete(user=request.user, blocked_id=user_id)
    return {"deleted": True}


@router.delete("/{id}", response=DeletedOut, by_alias=True)
def block_delete(request, id: str):
    block_id = path_id(id)
    if block_id is None:
        raise ApiError(400, "id must be number")
    account_services.blocks_delete(user=request.user, block_id=block_id)
    return {"deleted": True}
