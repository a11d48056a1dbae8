from django.urls import path

from . import api

urlpatterns = [
    path("stats/", api.StatsApi.as_view(), name="api-stats"),
    path("stats/adoption/", api.AdoptionApi.as_view(), name="api-stats-adoption"),
    path("open/stats/", api.OpenStatsApi.as_view(), name="api-open-stats"),
]
