"""Web forms. They parse and show errors; the rules themselves are checked by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from helpdesk.categories.selectors import category_list

from .extensions import notification_events
from .models import ForumMembership
from .preferences import CHANNELS, TIMEZONE_CHOICES


class PasswordPairMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Kata sandi"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Minimal 8 karakter, jangan hanya angka, jangan mirip nama pengguna."),
    )
    password2 = forms.CharField(
        label=_("Ulangi kata sandi"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("Kedua kata sandi tidak sama."))
        return data


class RegisterForm(PasswordPairMixin):
    field_order = ["name", "username", "email", "phone", "password1", "password2", "desa_code"]

    name = forms.CharField(label=_("Nama lengkap"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    username = forms.CharField(
        label=_("Nama pengguna"),
        max_length=150,
        help_text=_("Untuk masuk. Huruf, angka, dan @ . + - _ saja, mis. operator.tanjungluar"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.CharField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label=_("Nomor HP/WhatsApp (tidak wajib)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    desa_code = forms.CharField(widget=forms.HiddenInput, max_length=20)


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Nama pengguna"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Kata sandi"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail akun Anda"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Nama lengkap"), max_length=150, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput)
    phone = forms.CharField(label=_("Nomor HP/WhatsApp"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Bahasa"), choices=[])
    timezone = forms.ChoiceField(label=_("Zona waktu"), choices=TIMEZONE_CHOICES, required=False)

    def __init__(self, *args: Any, prefs: dict[str, dict[str, bool]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = list(settings.LANGUAGES)
        for event, spec in notification_events.items():
            for channel, label in CHANNELS.items():
                self.fields[f"notif__{event}__{channel}"] = forms.BooleanField(
                    label=f"{spec.label}: {label}",
                    required=False,
                    initial=(prefs or {}).get(event, {}).get(channel, spec.default(channel)),
                )

    def notification_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (str(spec.label), [self[f"notif__{event}__{channel}"] for channel in CHANNELS])
            for event, spec in notification_events.items()
        ]

    def channel_labels(self) -> list[str]:
        return [str(label) for label in CHANNELS.values()]

    def prefs(self) -> dict[str, dict[str, bool]]:
        return {
            event: {channel: bool(self.cleaned_data.get(f"notif__{event}__{channel}")) for channel in CHANNELS}
            for event in notification_events
        }


def _skills_field(**kwargs: Any) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=category_list(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Keahlian"),
        **kwargs,
    )


class AvailabilityForm(forms.Form):
    available = forms.BooleanField(label=_("Saya sedang tersedia menerima tiket"), required=False)
    work_start = forms.TimeField(label=_("Jam mulai (tidak wajib)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    work_end = forms.TimeField(label=_("Jam selesai"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    max_open_tickets = forms.IntegerField(label=_("Maks. tiket terbuka"), min_value=1, max_value=100)
    categories = _skills_field()


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("Nama pengguna akun"), max_length=150)
    role = forms.ChoiceField(label=_("Peran"), choices=ForumMembership.Role.choices)
    categories = _skills_field()


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=_("Peran"), choices=ForumMembership.Role.choices)
    categories = _skills_field(help_text=_("Keahlian awal; penerima undangan dapat mengubahnya."))


class InviteAcceptForm(forms.Form):
    """Skills and availability; the account fields are added when the invitee has no account yet."""

    categories = _skills_field()
    available = forms.BooleanField(label=_("Saya siap menerima tiket sekarang"), required=False, initial=True)
    work_start = forms.TimeField(label=_("Jam mulai (tidak wajib)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    work_end = forms.TimeField(label=_("Jam selesai"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))


class InviteAccountForm(PasswordPairMixin, InviteAcceptForm):
    field_order = ["name", "username", "email", "password1", "password2", "categories", "available", "work_start", "work_end"]

    name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    username = forms.CharField(
        label=_("Nama pengguna"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"})
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("verified", _("Verifikasi")), ("rejected", _("Tolak"))])
    note = forms.CharField(label=_("Catatan untuk operator (tidak wajib)"), required=False, max_length=2000)
