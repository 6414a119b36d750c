"""Routes: /users (spec §5.10). A user sees themself, their contacts and their co-members."""

from ninja import Router

from accounts.auth import device_auth
from accounts.schemas import UserEnvelope
from chat import selectors
from chat.api.params import page_or_400, path_id, since_or_400, sync_page
from chat.schemas.users import UserSyncOut
from spika.errors import ApiError

router = Router(tags=["users"], auth=device_auth)

SYNC_PER_PAGE = 100


@router.get("/sync/{timestamp}", response=UserSyncOut, by_alias=True)
def user_sync(request, timestamp: str, page: str | None = None):
    since = since_or_400(timestamp, name="timestamp")
    number = page_or_400(page)
    users, count = selectors.users_changed_page(
        user_id=request.user.pk, since=since, page=number, per_page=SYNC_PER_PAGE
    )
    return sync_page(users, count=count, page=number, limit=SYNC_PER_PAGE)


@router.get("/{id}", response=UserEnvelope, by_alias=True)
def user_get(request, id: str):
    user_id = path_id(id)
    if user_id == request.user.pk:
        return {"user": request.user}
    user = selectors.user_known_to(user_id=request.user.pk, other_id=user_id)
    if user is None:
        raise ApiError(404, "User not found")
    return {"user": user}
