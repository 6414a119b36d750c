from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import path, re_path

from spika.api import api


def api_not_found(request, rest=""):
    return JsonResponse({"status": "error", "message": "Not found"}, status=404)


def home(request):
    return redirect("messenger:openapi-view")


urlpatterns = [
    path("", home),
    path("admin/", admin.site.urls),
    path("api/messenger/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]
