"""Shapes of /users (spec §5.10)."""

from accounts.schemas import UserOut
from spika.schemas import CamelSchema


class UserSyncOut(CamelSchema):
    list: list[UserOut]
    count: int
    limit: int
    has_next: bool
