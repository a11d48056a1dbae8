from django.urls import path

from . import learning_views, views

urlpatterns = [
    path("kb/", views.home, name="kb-home"),
    path("kb/cari/", views.search_page, name="kb-search"),
    path("kb/baru/", views.entry_new, name="kb-new"),
    path("kb/tinjau/", views.review_queue_page, name="kb-review"),
    path("kb/pencarian/", learning_views.unanswered_page, name="kb-unanswered"),
    path("kb/pencarian/sinonim/", learning_views.synonym_add, name="kb-unanswered-synonym"),
    path("kb/pencarian/nilai/", learning_views.judge, name="kb-unanswered-judge"),
    path("kb/pengaturan/<int:forum_id>/", views.forum_settings_page, name="kb-settings"),
    path("kb/<int:entry_id>/", views.entry_redirect, name="kb-entry-short"),
    path("kb/<int:entry_id>/ubah/", views.entry_edit, name="kb-edit"),
    path("kb/<int:entry_id>/aksi/<slug:action>/", views.entry_action, name="kb-action"),
    path("kb/<int:entry_id>/suara/", views.entry_vote, name="kb-vote"),
    path("kb/<int:entry_id>/<slug:slug>/", views.entry_page, name="kb-entry"),
]
