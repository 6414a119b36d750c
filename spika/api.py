"""The django-ninja API object: Spika's envelope, error handlers and routers, in one place.

Every answer of ``/api/messenger`` is Spika's envelope: ``{"status": "success", "data": ...}``
for success and ``{"status": "error", "message": ...}`` for every error, including malformed
JSON, wrong types, ids too large for the database, oversized bodies and unknown routes: a 4xx,
never a 500.
"""

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from spika.errors import ApiError, error_body

logger = logging.getLogger(__name__)


class SpikaAPI(NinjaAPI):
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


@api.exception_handler(ApiError)
def on_api_error(request, exc: ApiError):
    return api.error_response(request, exc.status, exc.message)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc: AuthenticationError):
    message = getattr(request, "auth_error", None) or "No access token"
    return api.error_response(request, 401, message)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.error_response(request, exc.status_code, str(exc.message))


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    return api.error_response(request, 400, validation_message(exc.errors))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.error_response(request, 404, "Not found")


@api.exception_handler(ObjectDoesNotExist)
def on_object_missing(request, exc):
    return api.error_response(request, 404, "Not found")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return api.error_response(request, 413, "Request body is too large")


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def on_value_out_of_range(request, exc):
    # A value the database cannot hold (an id past bigint, say) that no schema caught: the
    # client's mistake, not the server's. PostgreSQL raises DataError, SQLite OverflowError.
    logger.warning("Value out of range in %s %s: %s", request.method, request.path, exc)
    return api.error_response(request, 400, "Invalid params")


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return api.error_response(request, 500, "Server error")


def register_routers() -> None:
    from accounts.api import auth_router, contacts_router, device_router, me_router

    api.add_router("/auth", auth_router)
    api.add_router("/me", me_router)
    api.add_router("/device", device_router)
    api.add_router("/contacts", contacts_router)

    from chat.api import routers as chat_routers

    for prefix, router in chat_routers():
        api.add_router(prefix, router)


register_routers()
