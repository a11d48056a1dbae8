from django.urls import path

from . import api

urlpatterns = [
    path("kb/search/", api.KbSearchApi.as_view(), name="api-kb-search"),
    path("kb/suggest/", api.KbSuggestApi.as_view(), name="api-kb-suggest"),
    path("kb/entries/<int:entry_id>/", api.KbEntryApi.as_view(), name="api-kb-entry"),
]
