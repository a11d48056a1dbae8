"""Coordinators' pages: pending operators, forum members, invitations; and the invitee's accept page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.core.errors import DomainError
from helpdesk.core.refusals import person_message, show_on_form

from . import forum_services, services
from .access import access_forum, access_membership, access_operator, can_manage_forum, forums_of, is_admin
from .forms import (
    DecisionForm,
    InvitationForm,
    InviteAcceptForm,
    InviteAccountForm,
    MemberAddForm,
)
from .models import ForumMembership, User
from .presenters import current_user
from .selectors import (
    forum_get,
    forum_invitations,
    forum_list,
    forum_members,
    invitation_get,
    invitation_state,
    operator_pending_list,
    user_by_username,
)

# --- Pending operators ---------------------------------------------------------------------------------------


@login_required
def pending_operators(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not is_admin(user) and not forums_of(user, ForumMembership.Role.COORDINATOR):
        raise PermissionDenied
    return render(request, "accounts/pending_operators.html", {"operators": operator_pending_list(user=user)})


@login_required
@require_POST
def review_operator(request: HttpRequest, user_id: int) -> HttpResponse:
    operator = access_operator(request.user, user_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Pilih verifikasi atau tolak."))
        return redirect("accounts:pending-operators")
    try:
        services.operator_review(
            actor=current_user(request), operator=operator, decision=form.cleaned_data["decision"], note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        messages.error(request, person_message(exc))
    else:
        if operator.operator_status == User.OperatorStatus.VERIFIED:
            messages.success(request, _("%(name)s sudah diverifikasi dan diberi tahu.") % {"name": operator.display_name})
        else:
            messages.success(request, _("Pendaftaran %(name)s ditolak; ia diberi tahu.") % {"name": operator.display_name})
    return redirect("accounts:pending-operators")


# --- Forums and members --------------------------------------------------------------------------------------


@login_required
def forum_index(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/forum_index.html", {"forums": list(forum_list(user=current_user(request)))})


def _forum_page(request: HttpRequest, forum_id: int, add_form: MemberAddForm | None = None, status: int = 200) -> HttpResponse:
    access_forum(request.user, forum_id)
    forum = forum_get(forum_id)
    manager = can_manage_forum(request.user, forum_id)
    context = {
        "forum": forum,
        "manager": manager,
        "admin": is_admin(request.user),
        "members": list(forum_members(forum=forum, include_inactive=manager)),  # type: ignore[arg-type]
        "add_form": add_form or (MemberAddForm() if manager else None),
    }
    return render(request, "accounts/forum_detail.html", context, status=status)


@login_required
def forum_detail(request: HttpRequest, forum_id: int) -> HttpResponse:
    return _forum_page(request, forum_id)


@login_required
@require_POST
def member_add(request: HttpRequest, forum_id: int) -> HttpResponse:
    forum = access_forum(request.user, forum_id, manage=True)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        account = user_by_username(form.cleaned_data["username"])
        if account is None:
            form.add_error("username", _("Akun dengan nama pengguna ini tidak ditemukan."))
        else:
            try:
                forum_services.membership_add(
                    actor=current_user(request),
                    forum=forum,
                    user=account,
                    role=form.cleaned_data["role"],
                    categories=form.cleaned_data["categories"],
                )
            except ValidationError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("%(user)s ditambahkan ke forum.") % {"user": account.username})
                return redirect("accounts:forum", forum_id=forum.pk)
    return _forum_page(request, forum_id, add_form=form, status=400)


@login_required
@require_POST
def member_deactivate(request: HttpRequest, forum_id: int, user_id: int) -> HttpResponse:
    forum = access_forum(request.user, forum_id, manage=True)
    membership = access_membership(request.user, forum, user_id)
    forum_services.membership_deactivate(actor=current_user(request), membership=membership)
    messages.success(
        request,
        _("%(user)s dinonaktifkan dari forum; tiket terbukanya kembali ke antrean.") % {"user": membership.user.username},
    )
    return redirect("accounts:forum", forum_id=forum.pk)


# --- Invitations ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def forum_invitations_page(request: HttpRequest, forum_id: int) -> HttpResponse:
    forum = access_forum(request.user, forum_id, manage=True)
    form = InvitationForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = forum_services.invitation_create(
            actor=current_user(request), forum=forum, role=form.cleaned_data["role"], categories=form.cleaned_data["categories"]
        )
        form = InvitationForm()
    rows = [(inv, invitation_state(inv)) for inv in forum_invitations(forum=forum)]
    context = {"forum": forum, "form": form, "created": created, "invitations": rows}
    response = render(request, "accounts/forum_invitations.html", context)
    response["Cache-Control"] = "no-store"  # the new link is shown once
    return response


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, forum_id: int, invitation_id: int) -> HttpResponse:
    forum = access_forum(request.user, forum_id, manage=True)
    invitation = invitation_get(forum=forum, invitation_id=invitation_id)
    if invitation is None:
        messages.error(request, _("Undangan tidak ditemukan."))
    else:
        forum_services.invitation_revoke(actor=current_user(request), invitation=invitation)
        messages.success(request, _("Undangan dibatalkan."))
    return redirect("accounts:forum-invitations", forum_id=forum.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = forum_services.invitation_find(token)
    problem = forum_services.invitation_problem(invitation)
    if problem or invitation is None:
        return render(request, "accounts/invite_invalid.html", {"problem": problem}, status=400 if request.method == "POST" else 200)
    signed_in = request.user.is_authenticated
    form_class = InviteAcceptForm if signed_in else InviteAccountForm
    initial = {"categories": [c.slug for c in invitation.categories.all()], "available": True}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = forum_services.invitation_accept(
                token=token,
                user=current_user(request) if signed_in else None,
                username=data.get("username", ""),
                password=data.get("password1", ""),
                email=data.get("email", ""),
                name=data.get("name", ""),
                categories=data["categories"],
                available=data["available"],
                work_start=data["work_start"],
                work_end=data["work_end"],
            )
        except ValidationError as exc:
            show_on_form(form, exc, rename={"password": "password1"})
        else:
            if not signed_in:
                auth_login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Selamat bergabung di %(forum)s sebagai %(role)s.")
                % {"forum": membership.forum.name, "role": membership.get_role_display()},
            )
            return redirect("accounts:forum", forum_id=membership.forum_id)
    context = {"invitation": invitation, "form": form, "signed_in": signed_in}
    return render(request, "accounts/invite_accept.html", context, status=400 if form.errors else 200)
