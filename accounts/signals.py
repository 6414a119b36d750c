from django.dispatch import Signal

# Sent inside the transaction of DELETE /me, with ``user``: other apps cut their ties.
user_deleted = Signal()
