"""What a save changed: the tracked fields' values before it, read in ``pre_save``.

Only the fields that decide whether an event is due are tracked, and nothing is read when
``update_fields`` leaves them all out (``last_login`` on sign-in, counters on a message).
"""

from django.db.models import Model

_BEFORE = "_eventstream_before"


def remember(instance: Model, fields: tuple[str, ...], update_fields=None) -> None:
    """Keep the stored values of ``fields`` on the instance, before it is saved over them."""
    if update_fields is not None:
        fields = tuple(field for field in fields if field in update_fields)
    before = None
    if fields and instance.pk is not None and not instance._state.adding:
        manager = type(instance)._base_manager
        before = manager.filter(pk=instance.pk).values(*fields).first()
    setattr(instance, _BEFORE, (fields, before))


def changed(instance: Model, fields: tuple[str, ...]) -> set[str]:
    """The fields among ``fields`` whose value the save that just happened changed.

    A save without a remembered state (a row updated under a fresh instance) counts as
    changing every field it wrote.
    """
    remembered_fields, before = getattr(instance, _BEFORE, (fields, None))
    if before is None:
        return set(remembered_fields) & set(fields)
    return {
        field
        for field in remembered_fields
        if field in fields and before[field] != getattr(instance, field)
    }
