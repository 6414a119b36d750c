"""SMS backends. The backend is chosen by ``SPIKA_SMS_BACKEND``; the default writes to the log."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("spika.sms")


class LogSmsBackend:
    """Writes the message to the log instead of sending it (development, demos)."""

    def send(self, *, telephone_number: str, text: str) -> None:
        logger.info("SMS to %s: %s", telephone_number, text)


class OutboxSmsBackend:
    """Keeps messages in memory (``OutboxSmsBackend.outbox``), for tests."""

    outbox: list[dict] = []

    def send(self, *, telephone_number: str, text: str) -> None:
        self.outbox.append({"telephone_number": telephone_number, "text": text})


def sms_send(*, telephone_number: str, text: str) -> None:
    import_string(settings.SPIKA_SMS_BACKEND)().send(telephone_number=telephone_number, text=text)
