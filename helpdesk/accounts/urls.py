"""Web pages of people and forums. Paths are in Bahasa Indonesia, like the rest of the site."""

from django.urls import path

from . import views, views_forums

app_name = "accounts"

urlpatterns = [
    path("daftar/", views.register, name="register"),
    path("daftar/selesai/", views.register_done, name="register-done"),
    path("masuk/", views.login_view, name="login"),
    # Mounted before /admin/ in helpdesk/urls.py: the admin's own login form is never served.
    path("admin/login/", views.admin_login, name="admin-login"),
    path("keluar/", views.logout_view, name="logout"),
    path("keluar/semua/", views.sign_out_everywhere, name="sign-out-everywhere"),
    path("profil/hapus/", views.account_erase, name="account-erase"),
    path("sandi/lupa/", views.password_reset, name="password-reset"),
    path("sandi/lupa/terkirim/", views.password_reset_sent, name="password-reset-sent"),
    path("sandi/atur/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("sandi/atur/selesai/", views.password_reset_complete, name="password-reset-complete"),
    path("sandi/ganti/", views.PasswordChangeView.as_view(), name="password-change"),
    path("profil/", views.profile, name="profile"),
    path("profil/email/<str:token>/", views.email_confirm, name="email-confirm"),
    path("profil/forum/<int:forum_id>/", views.profile_availability, name="profile-availability"),
    path("verifikasi-operator/", views_forums.pending_operators, name="pending-operators"),
    path("verifikasi-operator/<int:user_id>/", views_forums.review_operator, name="review-operator"),
    path("forsid/", views_forums.forum_index, name="forums"),
    path("forsid/<int:forum_id>/", views_forums.forum_detail, name="forum"),
    path("forsid/<int:forum_id>/anggota/", views_forums.member_add, name="member-add"),
    path(
        "forsid/<int:forum_id>/anggota/<int:user_id>/nonaktifkan/",
        views_forums.member_deactivate,
        name="member-deactivate",
    ),
    path("forsid/<int:forum_id>/undangan/", views_forums.forum_invitations_page, name="forum-invitations"),
    path(
        "forsid/<int:forum_id>/undangan/<int:invitation_id>/batalkan/",
        views_forums.invitation_revoke,
        name="invitation-revoke",
    ),
    path("undangan/<str:token>/", views_forums.invite_accept, name="invite-accept"),
]
