"""ASGI entry point: ``daphne spika.asgi:application`` (``manage.py runserver`` uses it too)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spika.settings")

application = get_asgi_application()
