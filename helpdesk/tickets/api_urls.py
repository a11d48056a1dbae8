from django.urls import path

from . import api

urlpatterns = [
    path("tickets/", api.TicketListCreateApi.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/", api.TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/messages/", api.MessageCreateApi.as_view(), name="api-ticket-messages"),
    path("tickets/<int:ticket_id>/claim/", api.ClaimApi.as_view(), name="api-ticket-claim"),
    path("tickets/<int:ticket_id>/resolve/", api.ResolveApi.as_view(), name="api-ticket-resolve"),
    path("tickets/<int:ticket_id>/close/", api.CloseApi.as_view(), name="api-ticket-close"),
    path("tickets/<int:ticket_id>/reopen/", api.ReopenApi.as_view(), name="api-ticket-reopen"),
    path("tickets/<int:ticket_id>/duplicate/", api.DuplicateApi.as_view(), name="api-ticket-duplicate"),
    path("tickets/<int:ticket_id>/rate/", api.RateApi.as_view(), name="api-ticket-rate"),
    path("tickets/<int:ticket_id>/attachments/", api.AttachmentCreateApi.as_view(), name="api-ticket-attachments"),
    path("attachments/<int:attachment_id>/", api.AttachmentDownloadApi.as_view(), name="api-attachment"),
]
