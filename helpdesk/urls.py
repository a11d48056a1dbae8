from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from bots import urls as bots_urls
from bots import views as bots_views
from helpdesk.core import views as core_views
from helpdesk.core.metrics import metrics_view
from helpdesk.notifications import urls as notification_urls

api_v1: list[URLPattern | URLResolver] = [
    # The knowledge base first: its anonymous search is the API's busiest path, and Django tries the patterns in
    # order (about 70 before it otherwise). Every one of its paths starts with `kb/`, which no other app uses.
    path("", include("helpdesk.kb.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="core/api_docs.html"),
         name="api-docs"),
    path("", include("helpdesk.accounts.api_urls")),
    path("", include("helpdesk.tickets.api_urls")),
    path("", include("helpdesk.community.api_urls")),
    path("", include("helpdesk.dashboards.api_urls")),
    path("", include("helpdesk.realtime.api_urls")),
    path("", include(notification_urls.api_urlpatterns)),
    path("", include(bots_urls.api_urlpatterns)),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("", include("helpdesk.accounts.urls")),
    path("", include("helpdesk.tickets.urls")),
    path("", include("helpdesk.community.urls")),
    path("", include("helpdesk.kb.urls")),
    path("", include("helpdesk.dashboards.urls")),
    path("", include(notification_urls.urlpatterns)),
    path("telegram/webhook/", bots_views.webhook, name="telegram-webhook"),
    path("", include(bots_urls.urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# The admin's header and tab title name the product, not Django.
admin.site.site_header = gettext_lazy("Administrasi SID Helpdesk")
admin.site.site_title = "SID Helpdesk"

handler400 = "helpdesk.core.views.bad_request"
handler403 = "helpdesk.core.views.permission_denied"
handler404 = "helpdesk.core.views.page_not_found"
handler500 = "helpdesk.core.views.server_error"
