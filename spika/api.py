"""The django-ninja API objects: Spika's envelope, error handlers and routers, in one place.

Every answer of ``/api/messenger`` (and of ``/api/upload``, downloads aside) is Spika's
envelope: ``{"status": "success", "data": ...}`` for success and ``{"status": "error",
"message": ...}`` for every error, including malformed JSON, wrong types, ids too large for the
database, oversized bodies and unknown routes: a 4xx, never a 500.
"""

import logging
from functools import partial
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from spika.errors import ApiError, error_body

logger = logging.getLogger(__name__)


class SpikaAPI(NinjaAPI):
    def set_default_exception_handlers(self) -> None:
        # Every instance (messenger and upload) answers every error with the envelope.
        super().set_default_exception_handlers()
        for exc_class, handler in ERROR_HANDLERS:
            self.add_exception_handler(exc_class, partial(handler, api=self))

    def create_response(self, request, data, *, status=None, temporal_response=None):
        if temporal_response is not None:
            status = temporal_response.status_code
        if status is not None and status < 400:
            data = {"status": "success", "data": data}
        return super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )

    def error_response(self, request: HttpRequest, status: int, message: str) -> HttpResponse:
        return NinjaAPI.create_response(self, request, error_body(message), status=status)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """Spika reports the first validation error only, naming the field."""
    if not errors:
        return "Invalid params"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("payload",))
    return f"Invalid params ValidationError: {where} {first.get('msg', 'is invalid')}".rstrip()


def on_api_error(request, exc: ApiError, api: SpikaAPI):
    return api.error_response(request, exc.status, exc.message)


def on_authentication_error(request, exc: AuthenticationError, api: SpikaAPI):
    message = getattr(request, "auth_error", None) or "No access token"
    return api.error_response(request, 401, message)


def on_http_error(request, exc: HttpError, api: SpikaAPI):
    return api.error_response(request, exc.status_code, str(exc.message))


def on_validation_error(request, exc: ValidationError, api: SpikaAPI):
    return api.error_response(request, 400, validation_message(exc.errors))


def on_not_found(request, exc, api: SpikaAPI):
    return api.error_response(request, 404, "Not found")


def on_object_missing(request, exc, api: SpikaAPI):
    return api.error_response(request, 404, "Not found")


def on_too_big(request, exc, api: SpikaAPI):
    return api.error_response(request, 413, "Request body is too large")


def on_value_out_of_range(request, exc, api: SpikaAPI):
    # A value the database cannot hold (an id past bigint, say) that no schema caught: the
    # client's mistake, not the server's. PostgreSQL raises DataError, SQLite OverflowError.
    logger.warning("Value out of range in %s %s: %s", request.method, request.path, exc)
    return api.error_response(request, 400, "Invalid params")


def on_unexpected(request, exc, api: SpikaAPI):
    logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return api.error_response(request, 500, "Server error")


ERROR_HANDLERS = [
    (ApiError, on_api_error),
    (AuthenticationError, on_authentication_error),
    (HttpError, on_http_error),
    (ValidationError, on_validation_error),
    (Http404, on_not_found),
    (ObjectDoesNotExist, on_object_missing),
    (RequestDataTooBig, on_too_big),
    (DataError, on_value_out_of_range),
    (OverflowError, on_value_out_of_range),
    (Exception, on_unexpected),
]


api = SpikaAPI(
    title="Spika messenger API",
    version="2024",
    urls_namespace="messenger",
    docs_url="/docs",
    description=(
        "Spika-compatible messenger API. Every answer is wrapped in Spika's envelope: "
        '`{"status": "success", "data": <the schema shown>}` or '
        '`{"status": "error", "message": "..."}`. Authenticate with the `accesstoken` header.'
    ),
)


upload_api = SpikaAPI(
    title="Spika upload API",
    version="2024",
    urls_namespace="upload",
    docs_url="/docs",
    description=(
        "Spika's chunked upload service, also mounted at `/api/uploads`. No authentication, as "
        "in Spika. Answers are wrapped in the same envelope as the messenger API's; a download "
        "is the file itself."
    ),
)


def register_routers() -> None:
    from accounts.api import auth_router, contacts_router, device_router, me_router

    api.add_router("/auth", auth_router)
    api.add_router("/me", me_router)
    api.add_router("/device", device_router)
    api.add_router("/contacts", contacts_router)

    from chat.api import routers as chat_routers

    for prefix, router in chat_routers():
        api.add_router(prefix, router)

    from chat.api.uploads import router as uploads_router

    upload_api.add_router("/files", uploads_router)


register_routers()
