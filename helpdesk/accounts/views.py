"""Web pages of people: sign-up with the desa picker, sign-in and out, password reset, the profile page.

Views parse the request, call a service or selector, and render; the coordinators' pages are in
`views_forums.py`. Every page works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.core.refusals import show_on_form
from helpdesk.regions.codes import normalize_code
from helpdesk.regions.models import Region
from helpdesk.regions.picker import picker_state
from helpdesk.regions.selectors import region_with_ancestors

from . import forum_services, services
from .access import roles_of
from .extensions import profile_sections
from .forms import (
    AvailabilityForm,
    LoginForm,
    PasswordResetRequestForm,
    ProfileForm,
    RegisterForm,
)
from .landing import landing_url
from .models import ForumMembership, User
from .preferences import effective_prefs, user_timezone
from .presenters import current_user
from .selectors import user_memberships
from .signin import SignInError, check_credentials

ROLE_LABELS = {
    "operator": gettext_lazy("operator desa"),
    "volunteer": gettext_lazy("relawan"),
    "coordinator": gettext_lazy("koordinator"),
    "admin": gettext_lazy("admin"),
    "planner": gettext_lazy("perencana"),
}



def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _remember_language(response: HttpResponseBase, user: User) -> HttpResponseBase:
    """The person's language also for the pages they see signed out, until they switch it in the footer."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


# --- Sign-up ------------------------------------------------------------------------------------------------


def _village(code: str) -> tuple[Region | None, list[Region]]:
    region, ancestors = region_with_ancestors(normalize_code(code or "") or "-")
    if region is None or not region.is_village:
        return None, []
    return region, ancestors


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Step 1 picks the desa (GET, no JavaScript needed); step 2 is the account form for that desa."""
    if request.user.is_authenticated and request.method == "GET" and "desa" not in request.GET:
        messages.info(request, _("Anda sudah masuk. Keluar dahulu untuk mendaftarkan akun lain."))
    code = request.POST.get("desa_code", "") if request.method == "POST" else request.GET.get("desa", "")
    desa, ancestors = _village(code) if code else (None, [])
    if desa is None:
        if code:
            messages.error(request, _("Desa/kelurahan itu tidak dikenal. Pilih lagi."))
        return render(request, "accounts/register_pick.html", {"picker": picker_state(request.GET)})

    form = RegisterForm(request.POST or None, initial={"desa_code": desa.code})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.operator_register(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                desa_code=desa.code,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
            )
        except ValidationError as exc:
            show_on_form(form, exc, rename={"password": "password1"})
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("accounts:register-done")
    context = {"form": form, "desa": desa, "ancestors": list(reversed(ancestors)), "change_url": _change_url(desa)}
    return render(request, "accounts/register.html", context, status=400 if form.errors else 200)


def _change_url(desa: Region) -> str:
    return f"{reverse('accounts:register')}?wilayah={desa.parent_id or ''}"


@login_required
def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/register_done.html", {"account": current_user(request)})


# --- Signing in and out ------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = _safe_next(request, "")  # empty: each person lands on their own work (landing.py)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = check_credentials(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except SignInError as exc:
            form.add_error(None, exc.message)
            status = 429 if exc.retry_after is not None else 400
        else:
            auth_login(request, user)
            response = redirect(next_url or landing_url(user))
            if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
                return response  # the language picked in the footer before signing in stays
            return _remember_language(response, user)  # type: ignore[return-value]
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through /masuk/ too, so its form cannot be used to get around the throttle."""
    target = _safe_next(request, "/admin/")
    if request.user.is_authenticated:
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied  # signed in without admin rights: say so, rather than ask to sign in again
        return redirect(target)
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        auth_logout(request)
        messages.success(request, _("Anda sudah keluar."))
        return redirect("home")
    return render(request, "accounts/logout.html")


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.sign_out_everywhere(user=current_user(request))
    auth_logout(request)
    messages.success(request, _("Anda sudah keluar dari semua perangkat, termasuk token API."))
    return redirect("accounts:login")


@login_required
@require_POST
def account_erase(request: HttpRequest) -> HttpResponse:
    try:
        services.account_erase(user=current_user(request), password=request.POST.get("password", ""))
    except ValidationError:
        messages.error(request, _("Kata sandi salah; akun tidak dihapus."))
        return redirect("accounts:profile")
    auth_logout(request)
    messages.success(request, _("Akun Anda sudah dihapus. Tiket Anda tetap ada tanpa data pribadi Anda."))
    return redirect("home")


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Always the same answer, whether or not the address belongs to an account."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return redirect("accounts:password-reset-sent")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: Any) -> HttpResponse:
        # Whoever can read the account's mail may sign in again at once: the reset lifts the sign-in lock.
        response = super().form_valid(form)
        services.password_reset_completed(user=form.user)
        return response


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_complete.html")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, gettext_lazy("Kata sandi sudah diganti."))
        return super().form_valid(form)


# --- Profile -----------------------------------------------------------------------------------------------


def _availability_forms(memberships: list[ForumMembership], bound: tuple[int, Any] | None = None) -> list[tuple[ForumMembership, AvailabilityForm]]:
    out = []
    for m in memberships:
        if bound and bound[0] == m.forum_id:
            form = bound[1]
        else:
            form = AvailabilityForm(
                prefix=f"m{m.forum_id}",
                initial={
                    "available": m.available,
                    "work_start": m.work_start,
                    "work_end": m.work_end,
                    "max_open_tickets": m.max_open_tickets,
                    "categories": [c.slug for c in m.categories.all()],
                },
            )
        out.append((m, form))
    return out


def _profile_page(request: HttpRequest, form: ProfileForm, bound: tuple[int, Any] | None = None, status: int = 200) -> HttpResponse:
    user = current_user(request)
    context = {
        "form": form,
        "account": user,
        "memberships": _availability_forms(user_memberships(user=user), bound),
        "effective_timezone": user_timezone(user),
        "role_labels": [ROLE_LABELS[r] for r in roles_of(user)],
        "sections": list(profile_sections.values()),
    }
    return render(request, "accounts/profile.html", context, status=status)


def _profile_form(user: User, data: Any = None) -> ProfileForm:
    initial = {
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "language": user.language,
        "timezone": user.timezone,
    }
    return ProfileForm(data, initial=initial, prefs=effective_prefs(user))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = _profile_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(
                user=user,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                language=form.cleaned_data["language"],
                timezone=form.cleaned_data["timezone"],
                notification_prefs=form.prefs(),
            )
        except ValidationError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Profil tersimpan."))
            if getattr(user, "email_pending", ""):
                messages.info(request, _("Alamat e-mail berubah setelah Anda membuka tautan yang kami kirim ke "
                                         "%(email)s.") % {"email": user.email_pending})  # type: ignore[attr-defined]
            return _remember_language(redirect("accounts:profile"), user)  # type: ignore[return-value]
    return _profile_page(request, form, status=400 if form.errors else 200)


@require_http_methods(["GET"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to a new address: opening it moves the account to that address."""
    try:
        services.email_change_confirm(token=token)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Alamat e-mail sudah diperbarui."))
    return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")


@login_required
@require_POST
def profile_availability(request: HttpRequest, forum_id: int) -> HttpResponse:
    user = current_user(request)
    membership = next((m for m in user_memberships(user=user) if m.forum_id == forum_id), None)
    if membership is None:
        messages.error(request, _("Anda bukan anggota forum itu."))
        return redirect("accounts:profile")
    form = AvailabilityForm(request.POST, prefix=f"m{forum_id}")
    if form.is_valid():
        try:
            forum_services.membership_set_availability(
                actor=user,
                membership=membership,
                available=form.cleaned_data["available"],
                work_start=form.cleaned_data["work_start"],
                work_end=form.cleaned_data["work_end"],
                max_open_tickets=form.cleaned_data["max_open_tickets"],
            )
            forum_services.membership_update(actor=user, membership=membership, categories=form.cleaned_data["categories"])
        except ValidationError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Ketersediaan di %(forum)s tersimpan.") % {"forum": membership.forum.name})
            return redirect("accounts:profile")
    return _profile_page(request, _profile_form(user), bound=(forum_id, form), status=400)
