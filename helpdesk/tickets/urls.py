from django.urls import path

from . import views

urlpatterns = [
    path("tiket/", views.ticket_list_page, name="tickets"),
    path("tiket/baru/", views.ticket_new, name="ticket-new"),
    path("tiket/id/<int:ticket_id>/", views.ticket_redirect, name="ticket-by-id"),
    path("tiket/<str:number>/", views.ticket_page, name="ticket"),
    path("tiket/<str:number>/balas/", views.ticket_reply, name="ticket-reply"),
    path("tiket/<str:number>/lampiran/", views.ticket_attach, name="ticket-attach"),
    path("tiket/<str:number>/aksi/<slug:action>/", views.ticket_action, name="ticket-action"),
    path("antrian/", views.queue_page, name="queue"),
    path("antrian/massal/", views.queue_bulk, name="queue-bulk"),
    path("forum/<int:forum_id>/kepuasan/", views.csat_page, name="forum-csat"),
    path("lampiran/<int:attachment_id>/", views.attachment_page, name="attachment"),
]
