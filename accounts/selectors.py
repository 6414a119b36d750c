"""Reads of accounts: contacts and blocks."""

from django.db.models import Q

from accounts.models import Block, Contact, User


def contacts_page(
    *, user_id: int, keyword: str, cursor: int | None, per_page: int
) -> tuple[list[User], int, int | None]:
    """``GET /contacts``: (users, count, next cursor), by display name.

    Spika's cursor is inclusive: a page after the first starts at the cursor's user (the last
    one of the page before) and holds one more. Clients drop the repeated user by id.
    """
    users = User.objects.filter(
        pk__in=Contact.objects.filter(user_id=user_id).values("contact_id"),
        verified=True,
        deleted=False,
    ).exclude(pk=user_id)
    if keyword:
        users = users.filter(display_name__icontains=keyword)
    users = users.order_by("display_name", "id")
    take = per_page
    if cursor is not None:
        anchor = User.objects.filter(pk=cursor).values_list("display_name", flat=True).first()
        if anchor is None:
            return [], users.count(), None
        users_after = users.filter(
            Q(display_name__gt=anchor) | Q(display_name=anchor, pk__gte=cursor)
        )
        take = per_page + 1
    else:
        users_after = users
    page = list(users_after[:take])
    next_cursor = page[-1].pk if len(page) >= take else None
    return page, users.count(), next_cursor


def blocked_users(*, user_id: int) -> list[User]:
    """The users ``user_id`` blocked, in the order they were blocked."""
    return [
        block.blocked
        for block in Block.objects.filter(user_id=user_id).select_related("blocked").order_by("id")
    ]
