"""The chat operator's admin: rooms and their members, messages, message records.

Every write here goes through the ORM one row at a time (``save()``/``delete()``), never
``QuerySet.update()``: clients learn of an operator's fix from the model signals, exactly as
they learn of the same change made through the API (events.md §4).

Changelists stay fast on a large database: related rows come with ``list_select_related``,
counts are subqueries computed once per page, foreign keys are raw-id widgets (no select
holding every room or user), and the big tables skip the full ``COUNT(*)``.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from chat.models import Message, MessageRecord, Room, RoomUser
from chat.services.messages import messages_delete_for_everyone
from chat.services.rooms import memberships_admin_set
from spika.schemas import MAX_DB_ID


def parse_id(value) -> int | None:
    """A database id from a query string or search box, or None when it cannot be one."""
    if value is None or not str(value).strip().isdigit():
        return None
    number = int(str(value).strip())
    return number if 0 < number <= MAX_DB_ID else None


def count_of(model, field: str):
    """``COUNT`` of ``model`` rows pointing at the outer row, as one correlated subquery."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class IdInputFilter(admin.SimpleListFilter):
    """A sidebar box that takes one id (a room, a user) instead of listing every choice."""

    template = "admin/chat/id_input_filter.html"
    lookup: str = ""

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        raw = (self.value() or "").strip()
        if not raw:
            return queryset
        number = parse_id(raw)
        if number is None:
            return queryset.none()
        return queryset.filter(**{self.lookup: number}).distinct()

    def choices(self, changelist):
        # One "choice": what the template needs to draw the box and keep the other filters.
        others = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name != self.parameter_name
            for value in values
        ]
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "other_params": others,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class MemberFilter(IdInputFilter):
    title = "member (user id)"
    parameter_name = "member"
    lookup = "members__user_id"


class RoomIdFilter(IdInputFilter):
    title = "room (id)"
    parameter_name = "room"
    lookup = "room_id"


class MessageIdFilter(IdInputFilter):
    title = "message (id)"
    parameter_name = "message"
    lookup = "message_id"


class UserIdFilter(IdInputFilter):
    title = "user (id)"
    parameter_name = "user"
    lookup = "user_id"


class SearchByIdMixin:
    """A search term that is a number also finds the row with that id (an index lookup)."""

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = parse_id(search_term)
        if number is not None:
            results |= queryset.filter(pk=number)
        return results, may_have_duplicates


class MemberInline(admin.TabularInline):
    """The room's members: the admin flag is editable, Delete removes the member.

    ``user`` is read-only here (shown from the ``select_related`` row): a raw-id or
    autocomplete widget would look each member up again, one query per member.
    """

    model = RoomUser
    fields = ("user", "is_admin", "created_at")
    readonly_fields = ("user", "created_at")
    extra = 0
    verbose_name = "member"
    verbose_name_plural = "members (tick Delete to remove one; clients see every change live)"

    def get_queryset(self, request):
        # The row's caption is str(membership), which names both the user and the room.
        return super().get_queryset(request).select_related("user", "room")

    def has_add_permission(self, request, obj=None):
        return False


class NewMemberForm(forms.ModelForm):
    def clean(self):
        # Django skips the (room, user) constraint in inline forms (the room is excluded from
        # validation), so check it here instead of failing on the database's IntegrityError.
        cleaned = super().clean()
        user, room_id = cleaned.get("user"), self.instance.room_id
        if user and room_id and RoomUser.objects.filter(room_id=room_id, user=user).exists():
            raise forms.ValidationError({"user": f"{user} is already a member of this room."})
        return cleaned


class NewMemberInline(admin.TabularInline):
    """Blank rows to add members by user id (the magnifier opens a user picker)."""

    model = RoomUser
    form = NewMemberForm
    fields = ("user", "is_admin")
    raw_id_fields = ("user",)
    extra = 1
    can_delete = False
    verbose_name = "new member"
    verbose_name_plural = "add members"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Room)
class RoomAdmin(SearchByIdMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "__str__",
        "type",
        "deleted",
        "member_count",
        "message_count",
        "created_at",
        "modified_at",
    )
    list_display_links = ("id", "__str__")
    list_filter = ("type", "deleted", MemberFilter)
    search_fields = ("name", "members__user__telephone_number", "members__user__display_name")
    search_help_text = "Room name, a member's telephone number or name, or a room id."
    fields = ("type", "name", "avatar_file_id", "deleted", "created_at", "modified_at")
    readonly_fields = ("created_at", "modified_at")
    inlines = (MemberInline, NewMemberInline)
    actions = ("soft_delete_rooms",)
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_total=count_of(RoomUser, "room"),
                message_total=count_of(Message, "room"),
            )
        )

    def get_actions(self, request):
        # A hard delete cascades to every message and record of the room: one event each.
        # The change form's Delete button stays for the rare case that needs it.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="members", ordering="member_total")
    def member_count(self, room):
        return room.member_total

    @admin.display(description="messages", ordering="message_total")
    def message_count(self, room):
        url = reverse("admin:chat_message_changelist") + f"?room={room.pk}"
        return format_html('<a href="{}">{}</a>', url, room.message_total)

    @admin.action(description="Delete selected rooms (as the API does: mark deleted)")
    def soft_delete_rooms(self, request, queryset):
        """``deleted = True`` row by row, so that each room's members get DELETE_ROOM."""
        rooms = list(queryset.filter(deleted=False))
        for room in rooms:
            room.deleted = True
            room.save(update_fields=["deleted", "modified_at"])
        self.message_user(request, f"Deleted {len(rooms)} room(s).", messages.SUCCESS)


@admin.register(RoomUser)
class RoomUserAdmin(admin.ModelAdmin):
    list_display = ("id", "room", "user", "is_admin", "created_at")
    list_select_related = ("room", "user")
    list_filter = ("is_admin", RoomIdFilter, UserIdFilter)
    search_fields = ("room__name", "user__telephone_number", "user__display_name")
    raw_id_fields = ("room", "user")
    actions = ("remove_members", "make_admins", "revoke_admins")
    show_full_result_count = False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Remove selected members from their rooms")
    def remove_members(self, request, queryset):
        """One ``delete()`` per membership: REMOVED_FROM_ROOM and UPDATE_ROOM for each."""
        memberships = list(queryset.select_related("room", "user"))
        for membership in memberships:
            membership.delete()
        self.message_user(request, f"Removed {len(memberships)} member(s).", messages.SUCCESS)

    @admin.action(description="Make selected members room admins")
    def make_admins(self, request, queryset):
        self._set_admin(request, queryset, True)

    @admin.action(description="Make selected members ordinary members")
    def revoke_admins(self, request, queryset):
        self._set_admin(request, queryset, False)

    def _set_admin(self, request, queryset, is_admin: bool):
        memberships = list(queryset.exclude(is_admin=is_admin).select_related("user"))
        memberships_admin_set(memberships=memberships, is_admin=is_admin)
        self.message_user(request, f"Changed {len(memberships)} member(s).", messages.SUCCESS)


@admin.register(Message)
class MessageAdmin(SearchByIdMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "room",
        "from_user",
        "type",
        "text",
        "deleted",
        "total_user_count",
        "delivered_count",
        "seen_count",
        "created_at",
    )
    list_select_related = ("room", "from_user")
    list_filter = (RoomIdFilter, "type", "deleted")
    search_fields = ("body__text",)
    search_help_text = "Text of the message, or a message id."
    raw_id_fields = ("room", "from_user", "from_device", "reply")
    readonly_fields = (
        "total_user_count",
        "delivered_count",
        "seen_count",
        "created_at",
        "modified_at",
    )
    actions = ("delete_for_everyone",)
    show_full_result_count = False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="text")
    def text(self, message):
        body = message.body if isinstance(message.body, dict) else {}
        return Truncator(str(body.get("text") or "")).chars(80)

    def save_model(self, request, obj, form, change):
        if not change:
            # What the API's send does: the message counts the members it was sent to.
            obj.total_user_count = RoomUser.objects.filter(room_id=obj.room_id).count()
        super().save_model(request, obj, form, change)

    @admin.action(description="Delete selected messages for everyone (as the API does)")
    def delete_for_everyone(self, request, queryset):
        """Spika's ``target=all`` delete, as the API's: members get DELETE_MESSAGE for each."""
        ids = sorted(queryset.filter(deleted=False).values_list("id", flat=True))
        messages_delete_for_everyone(message_ids=ids)
        self.message_user(request, f"Deleted {len(ids)} message(s).", messages.SUCCESS)


@admin.register(MessageRecord)
class MessageRecordAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "message",
        "room_id",
        "user",
        "type",
        "reaction",
        "is_deleted",
        "created_at",
    )
    list_select_related = ("message", "user")
    list_filter = ("type", "is_deleted", MessageIdFilter, UserIdFilter)
    search_fields = ("reaction", "user__telephone_number", "user__display_name")
    raw_id_fields = ("message", "user")
    readonly_fields = ("created_at", "modified_at")
    show_full_result_count = False

    @admin.display(description="room")
    def room_id(self, record):
        return record.message.room_id
