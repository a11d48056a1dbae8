from django.urls import path
from django.views.generic import RedirectView

from . import personal_data, search_page, views, views_canned, views_edit, views_new

urlpatterns = [
    path("profil/data-saya/", personal_data.personal_data_page, name="personal-data"),
    path("cari/", search_page.search_page, name="search"),
    path("tiket/", views.ticket_list_page, name="tickets"),
    path("tiket/baru/", views_new.ticket_new, name="ticket-new"),
    path("tiket/id/<int:ticket_id>/", views.ticket_redirect, name="ticket-by-id"),
    path("tiket/<str:number>/", views.ticket_page, name="ticket"),
    path("tiket/<str:number>/balas/", views.ticket_reply, name="ticket-reply"),
    path("tiket/<str:number>/lampiran/", views.ticket_attach, name="ticket-attach"),
    path("tiket/<str:number>/aksi/<slug:action>/", views.ticket_action, name="ticket-action"),
    path("pesan/<int:message_id>/ubah/", views_edit.message_edit_page, name="message-edit"),
    path("antrian/", views.queue_page, name="queue"),
    path("antrian/massal/", views.queue_bulk, name="queue-bulk"),
    # A ForSID team's page lives under /forsid/ with the team's other pages (accounts/urls.py); /forum/ is the
    # community Q&A. The old address keeps working as a permanent redirect.
    path("forsid/<int:forum_id>/kepuasan/", views.csat_page, name="forum-csat"),
    path("forum/<int:forum_id>/kepuasan/", RedirectView.as_view(pattern_name="forum-csat", permanent=True, query_string=True)),
    path("forsid/<int:forum_id>/balasan/", views_canned.canned_page, name="canned-replies"),
    path("forsid/<int:forum_id>/balasan/<int:reply_id>/", views_canned.canned_edit, name="canned-reply"),
    path("forsid/<int:forum_id>/balasan/<int:reply_id>/hapus/", views_canned.canned_remove, name="canned-reply-delete"),
    path("lampiran/<int:attachment_id>/", views.attachment_page, name="attachment"),
]
