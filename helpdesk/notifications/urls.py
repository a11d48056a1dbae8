from django.urls import path

from . import api, views

urlpatterns = [
    path("notifikasi/", views.notification_page, name="notifications"),
    path("notifikasi/baca/", views.notification_read, name="notifications-read"),
]

api_urlpatterns = [
    path("notifications/", api.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read/", api.NotificationReadApi.as_view(), name="api-notifications-read"),
]
