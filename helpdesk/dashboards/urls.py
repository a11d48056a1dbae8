from django.urls import path

from . import views

urlpatterns = [
    path("dasbor/", views.home, name="dashboard"),
    path("dasbor/desa/<str:code>/adopsi/", views.adoption_edit, name="dashboard-adoption-edit"),
    path("dasbor/<str:code>/", views.region_page, name="dashboard-region"),
    path("dasbor/<str:code>/laporan/", views.monthly_report, name="dashboard-report"),
]
