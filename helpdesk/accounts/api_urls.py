"""API routes of people, forums, regions and categories, mounted under /api/v1/ by helpdesk/urls.py."""

from django.urls import path

from helpdesk.categories.api import CategoryListApi
from helpdesk.regions.api import RegionDetailApi, RegionListApi

from . import api, api_forums

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("me/erase/", api.EraseMeApi.as_view(), name="api-me-erase"),
    path("auth/token/", api.TokenApi.as_view(), name="api-auth-token"),
    path("auth/sign-out-everywhere/", api.SignOutEverywhereApi.as_view(), name="api-sign-out-everywhere"),
    path("accounts/register/", api.RegisterApi.as_view(), name="api-register"),
    path("accounts/pending/", api.OperatorPendingListApi.as_view(), name="api-operators-pending"),
    path("accounts/accept-invite/", api.AcceptInviteApi.as_view(), name="api-accept-invite"),
    path("accounts/<int:user_id>/verify/", api.OperatorVerifyApi.as_view(), name="api-operator-verify"),
    path("accounts/<int:user_id>/reject/", api.OperatorRejectApi.as_view(), name="api-operator-reject"),
    path("accounts/<int:user_id>/deactivate/", api.OperatorDeactivateApi.as_view(), name="api-operator-deactivate"),
    path("forums/", api_forums.ForumListApi.as_view(), name="api-forums"),
    path("forums/<int:forum_id>/", api_forums.ForumDetailApi.as_view(), name="api-forum"),
    path("forums/<int:forum_id>/members/", api_forums.ForumMembersApi.as_view(), name="api-forum-members"),
    path(
        "forums/<int:forum_id>/members/<int:user_id>/",
        api_forums.ForumMemberDetailApi.as_view(),
        name="api-forum-member",
    ),
    path(
        "forums/<int:forum_id>/members/<int:user_id>/deactivate/",
        api_forums.ForumMemberDeactivateApi.as_view(),
        name="api-forum-member-deactivate",
    ),
    path("forums/<int:forum_id>/invitations/", api_forums.ForumInvitationsApi.as_view(), name="api-forum-invitations"),
    path(
        "forums/<int:forum_id>/invitations/<int:invitation_id>/revoke/",
        api_forums.InvitationRevokeApi.as_view(),
        name="api-forum-invitation-revoke",
    ),
    path("regions/", RegionListApi.as_view(), name="api-regions"),
    path("regions/<str:code>/", RegionDetailApi.as_view(), name="api-region"),
    path("categories/", CategoryListApi.as_view(), name="api-categories"),
]
