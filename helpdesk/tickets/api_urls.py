from django.urls import path

from . import api, api_ops, personal_data

urlpatterns = [
    path("me/export/", personal_data.PersonalDataApi.as_view(), name="api-me-export"),
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
    path("tickets/bulk/", api_ops.BulkApi.as_view(), name="api-tickets-bulk"),
    path("tickets/<int:ticket_id>/merge/", api_ops.MergeApi.as_view(), name="api-ticket-merge"),
    path("tickets/<int:ticket_id>/watch/", api_ops.WatchApi.as_view(), name="api-ticket-watch"),
    path("canned-replies/", api_ops.CannedReplyApi.as_view(), name="api-canned-replies"),
    path("forums/<int:forum_id>/csat/", api_ops.CsatApi.as_view(), name="api-forum-csat"),
    path("sla/policies/<str:key>/", api_ops.SlaPolicyApi.as_view(), name="api-sla-policy"),
    path("sla/holidays/", api_ops.HolidayApi.as_view(), name="api-sla-holidays"),
]
