"""Users (the telephone number is the identity) and their devices."""

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


def hash_telephone_number(number: str) -> str:
    """Lowercase hex SHA-256 of the number as sent, as Spika computes ``telephoneNumberHashed``."""
    return hashlib.sha256(number.encode()).hexdigest()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, telephone_number, password, **fields):
        if not telephone_number:
            raise ValueError("A user needs a telephone number")
        user = self.model(telephone_number=telephone_number, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, telephone_number, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(telephone_number, password, **fields)

    def create_superuser(self, telephone_number, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("verified", True)
        return self._create(telephone_number, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A Spika user. Also the Django admin's user: staff flags and a password live here too."""

    telephone_number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    telephone_number_hashed = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    email_address = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=255, blank=True, default="", db_index=True)
    avatar_file_id = models.BigIntegerField(default=0)
    cover_file_id = models.BigIntegerField(null=True, blank=True)
    short_description = models.CharField(max_length=255, null=True, blank=True)
    long_description = models.TextField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    is_bot = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "telephone_number"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.display_name or 'user'} ({self.telephone_number or self.pk})"

    def save(self, *args, **kwargs):
        if self.telephone_number:
            self.telephone_number_hashed = hash_telephone_number(self.telephone_number)
        if self.email_address == "":
            self.email_address = None
        super().save(*args, **kwargs)


class VerificationCode(models.Model):
    """The sign-in code a user was sent: stored hashed, expires, allows a few tries."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="verification")
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"code for user {self.user_id}"


class CodeRequest(models.Model):
    """One ``POST /auth``; counted per number and per client address to rate-limit codes."""

    telephone_number = models.CharField(max_length=32)
    client_address = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["telephone_number", "created_at"]),
            models.Index(fields=["client_address", "created_at"]),
        ]

    def __str__(self):
        return f"code request for {self.telephone_number}"


class Device(models.Model):
    """One installed client. The token is stored as its SHA-256, never in the clear."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices", null=True)
    device_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=32, blank=True, default="")
    device_name = models.CharField(max_length=255, blank=True, default="")
    os_name = models.CharField(max_length=255, blank=True, default="")
    os_version = models.CharField(max_length=255, blank=True, default="")
    app_version = models.CharField(max_length=64, blank=True, default="")
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_expired_at = models.DateTimeField(null=True, blank=True)
    push_token = models.CharField(max_length=512, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type or 'device'} {self.device_id}"


class Contact(models.Model):
    """Directed: ``user`` has ``contact`` in their phone book."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True)
    last_confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "contact"], name="contact_unique_pair")
        ]

    def __str__(self):
        return f"{self.user_id} has {self.contact_id}"


class Block(models.Model):
    """``user`` blocked ``blocked``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "blocked"], name="block_unique_pair")
        ]

    def __str__(self):
        return f"{self.user_id} blocked {self.blocked_id}"


class UserSetting(models.Model):
    """Spika's per-user key/value settings (``mute_<roomId>``, ``pin_<roomId>``)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="settings")
    key = models.CharField(max_length=255)
    value = models.CharField(max_length=255, default="")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="user_setting_unique_key")
        ]

    def __str__(self):
        return f"{self.key}={self.value}"
