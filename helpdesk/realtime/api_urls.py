from django.urls import path

from . import api

urlpatterns = [path("realtime/ticket/", api.ConnectionKeyApi.as_view(), name="api-realtime-ticket")]
