"""The operator's admin for users and devices.

Users: Django's own UserAdmin (password change, permissions) on our fields; the telephone
number is the user name. Devices: tokens are stored hashed and never shown, not even the hash;
an operator sees whether a session is active and can end it.
"""

from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import services
from accounts.models import Device, User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("telephone_number",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional on the model (a deleted account has none), required for a new user.
        self.fields["telephone_number"].required = True


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.display(description="session")
def session(device: Device) -> str:
    if device.token_hash is None:
        return "signed out"
    if device.token_expired_at is None:
        return "active, never expires"
    if device.token_expired_at <= timezone.now():
        return "expired"
    return f"active until {timezone.localtime(device.token_expired_at):%Y-%m-%d %H:%M}"


DEVICE_INFO = ("type", "device_name", "os_name", "os_version", "app_version")


class DeviceInline(admin.TabularInline):
    """The user's devices, read-only; deleting one ends its session for good."""

    model = Device
    fields = ("device_id", *DEVICE_INFO, session, "modified_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("telephone_number", "password")}),
        (
            "Profile",
            {
                "fields": (
                    "display_name",
                    "email_address",
                    "avatar_file_id",
                    "cover_file_id",
                    "short_description",
                    "long_description",
                )
            },
        ),
        (
            "Spika",
            {"fields": ("verified", "is_bot", "deleted", "telephone_number_hashed", "rooms_link")},
        ),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "created_at", "modified_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("telephone_number", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = (
        "telephone_number_hashed",
        "rooms_link",
        "last_login",
        "created_at",
        "modified_at",
    )
    list_display = (
        "id",
        "telephone_number",
        "display_name",
        "email_address",
        "verified",
        "is_staff",
        "is_active",
        "created_at",
    )
    list_display_links = ("id", "telephone_number")
    list_filter = ("verified", "is_staff", "is_superuser", "is_active", "deleted", "is_bot")
    search_fields = ("telephone_number", "display_name", "email_address")
    ordering = ("id",)
    inlines = (DeviceInline,)

    @admin.display(description="rooms")
    def rooms_link(self, user):
        # A link, not a list: a user may be in thousands of rooms; the room list pages them.
        url = reverse("admin:chat_room_changelist") + f"?member={user.pk}"
        return format_html('<a href="{}">Rooms this user is in</a>', url)

    def get_inlines(self, request, obj):
        # A user being added has no devices yet (they come from sign-in).
        return self.inlines if obj is not None else ()


class SessionFilter(admin.SimpleListFilter):
    title = "session"
    parameter_name = "session"

    def lookups(self, request, model_admin):
        return (("active", "active"), ("ended", "signed out or expired"))

    def queryset(self, request, queryset):
        now = timezone.now()
        active = queryset.filter(token_hash__isnull=False).exclude(token_expired_at__lte=now)
        if self.value() == "active":
            return active
        if self.value() == "ended":
            return queryset.exclude(pk__in=active.values("pk"))
        return queryset


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("device_id", "user", *DEVICE_INFO, session, "modified_at")
    list_select_related = ("user",)
    list_filter = ("type", SessionFilter)
    search_fields = ("device_id", "user__telephone_number", "user__display_name")
    fields = (
        "user",
        "device_id",
        *DEVICE_INFO,
        "push_token",
        session,
        "token_expired_at",
        "created_at",
        "modified_at",
    )
    # The owner changes only through sign-in, which ends the session; here it would hand the
    # device's live token to another user.
    readonly_fields = (
        "user",
        "device_id",
        session,
        "token_expired_at",
        "created_at",
        "modified_at",
    )
    ordering = ("-id",)
    actions = ("sign_out",)

    def has_add_permission(self, request):
        # Devices come from sign-in; one made here could never hold a token.
        return False

    @admin.action(description="Sign out the selected devices")
    def sign_out(self, request, queryset):
        devices = list(queryset.filter(token_hash__isnull=False))
        for device in devices:
            services.auth_logout(device=device)
        self.message_user(request, f"Signed out {len(devices)} device(s).", messages.SUCCESS)
