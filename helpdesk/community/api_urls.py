from django.urls import path

from . import api
from . import api_moderation as mod

urlpatterns = [
    path("forum/questions/", api.QuestionListApi.as_view(), name="api-forum-questions"),
    path("forum/questions/<int:ticket_id>/", api.QuestionDetailApi.as_view(), name="api-forum-question"),
    path("forum/questions/<int:ticket_id>/comments/", api.CommentCreateApi.as_view(), name="api-forum-comments"),
    path("forum/questions/<int:pk>/flag/", api.QuestionFlagApi.as_view(), name="api-forum-question-flag"),
    path("forum/questions/<int:pk>/hide/", mod.QuestionHideApi.as_view(), name="api-forum-question-hide"),
    path("forum/questions/<int:pk>/unhide/", mod.QuestionUnhideApi.as_view(), name="api-forum-question-unhide"),
    path("forum/questions/<int:ticket_id>/lock/", mod.LockApi.as_view(), name="api-forum-question-lock"),
    path("forum/questions/<int:ticket_id>/move/", mod.MoveApi.as_view(), name="api-forum-question-move"),
    path("forum/questions/<int:ticket_id>/duplicate/", mod.QuestionDuplicateApi.as_view(),
         name="api-forum-question-duplicate"),
    path("forum/questions/<int:ticket_id>/history/", mod.HistoryApi.as_view(), name="api-forum-question-history"),
    path("tickets/<int:ticket_id>/accept/", api.AcceptApi.as_view(), name="api-ticket-accept"),
    path("messages/<int:message_id>/vote/", api.VoteApi.as_view(), name="api-message-vote"),
    path("messages/<int:pk>/flag/", api.MessageFlagApi.as_view(), name="api-message-flag"),
    path("messages/<int:pk>/hide/", mod.MessageHideApi.as_view(), name="api-message-hide"),
    path("messages/<int:pk>/unhide/", mod.MessageUnhideApi.as_view(), name="api-message-unhide"),
    path("messages/<int:message_id>/", mod.MessageEditApi.as_view(), name="api-message-edit"),
    path("forum/comments/<int:pk>/flag/", api.CommentFlagApi.as_view(), name="api-forum-comment-flag"),
    path("forum/comments/<int:pk>/hide/", mod.CommentHideApi.as_view(), name="api-forum-comment-hide"),
    path("forum/comments/<int:pk>/unhide/", mod.CommentUnhideApi.as_view(), name="api-forum-comment-unhide"),
    path("forum/comments/<int:comment_id>/", mod.CommentEditApi.as_view(), name="api-forum-comment-edit"),
    path("forum/moderation/", mod.ModerationQueueApi.as_view(), name="api-forum-moderation"),
    path("forum/flags/<int:flag_id>/review/", mod.FlagReviewApi.as_view(), name="api-forum-flag-review"),
    path("forum/proposals/", mod.ProposalCreateApi.as_view(), name="api-forum-proposals"),
    path("forum/proposals/<int:proposal_id>/accept/", mod.ProposalAcceptApi.as_view(), name="api-forum-proposal-accept"),
    path("forum/proposals/<int:proposal_id>/decline/", mod.ProposalDeclineApi.as_view(),
         name="api-forum-proposal-decline"),
    path("forum/users/<str:username>/", api.ProfileApi.as_view(), name="api-forum-profile"),
    path("forum/leaderboard/", api.LeaderboardApi.as_view(), name="api-forum-leaderboard"),
]
