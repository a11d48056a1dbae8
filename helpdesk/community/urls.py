from django.urls import path

from . import views, views_actions

urlpatterns = [
    path("forum/", views.forum_home, name="forum-home"),
    path("forum/tanya/", views.ask, name="forum-ask"),
    path("forum/pertanyaan/<str:number>/", views.question_page, name="forum-question"),
    path("forum/pertanyaan/<str:number>/jawab/", views_actions.answer, name="forum-answer"),
    path("forum/pertanyaan/<str:number>/sunting/", views_actions.edit, name="forum-edit"),
    path("forum/pertanyaan/<str:number>/riwayat/", views_actions.history, name="forum-history"),
    path("forum/pertanyaan/<str:number>/alat/", views_actions.tool, name="forum-tool"),
    path("forum/pertanyaan/<str:number>/aksi/<slug:action>/", views_actions.question_action, name="forum-action"),
    path("forum/pengguna/<str:username>/", views.profile, name="forum-profile"),
    path("forum/peringkat/", views.leaderboard, name="forum-leaderboard"),
    path("forum/moderasi/", views_actions.moderation, name="forum-moderation"),
    path("forum/usulan/<int:proposal_id>/", views_actions.proposal, name="forum-proposal"),
]
