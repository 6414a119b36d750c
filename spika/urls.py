from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import include, path, re_path

from spika.api import api, upload_api


def api_not_found(request, rest=""):
    return JsonResponse({"status": "error", "message": "Not found"}, status=404)


def home(request):
    return redirect("messenger:openapi-view")


urlpatterns = [
    path("", home),
    path("admin/", admin.site.urls),
    path("api/messenger/", api.urls),
    path("api/upload/", upload_api.urls),
    # Spika mounts the upload service twice; the alias gets its own instance namespace.
    path("api/uploads/", include((upload_api.urls[0], "ninja"), namespace="uploads")),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]
