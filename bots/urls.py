from django.urls import path

from . import link_views

urlpatterns = [
    path("profil/telegram/", link_views.profile_link, name="telegram-profile-link"),
    path("forsid/<int:forum_id>/telegram/", link_views.forum_code, name="telegram-forum-code"),
    path("forsid/<int:forum_id>/telegram/pengaturan/", link_views.forum_settings, name="telegram-forum-settings"),
]

api_urlpatterns = [
    path("me/telegram-link/", link_views.TelegramLinkApi.as_view(), name="api-me-telegram-link"),
    path("forums/<int:forum_id>/telegram-code/", link_views.ForumTelegramCodeApi.as_view(),
         name="api-forum-telegram-code"),
]
