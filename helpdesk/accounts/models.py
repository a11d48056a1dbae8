"""People and forums: operators of a desa, ForSID forums with their regions, volunteers and coordinators.

Roles add up: an operator of their own desa may also volunteer in one forum and coordinate another.
The rules that read these tables live in `access.py`; nothing else decides who may do what.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from helpdesk.categories.models import Category
from helpdesk.regions.models import Region

# The username of an account whose personal data was removed on its owner's request (accounts.services.account_erase).
ERASED_PREFIX = "terhapus-"


class User(AbstractUser):
    class OperatorStatus(models.TextChoices):
        NONE = "none", _("bukan operator")
        PENDING = "pending", _("menunggu verifikasi")
        VERIFIED = "verified", _("terverifikasi")
        REJECTED = "rejected", _("ditolak")
        DEACTIVATED = "deactivated", _("dinonaktifkan")

    name = models.CharField(_("nama lengkap"), max_length=150, blank=True, default="")
    phone = models.CharField(_("nomor HP"), max_length=20, blank=True, default="")
    desa = models.ForeignKey(
        Region,
        verbose_name=_("desa/kelurahan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operators",
        limit_choices_to={"level": 4},
    )
    operator_status = models.CharField(
        _("status operator"), max_length=12, choices=OperatorStatus.choices, default=OperatorStatus.NONE
    )
    is_planner = models.BooleanField(_("perencana (dasbor saja)"), default=False)
    language = models.CharField(_("bahasa"), max_length=5, default="id")
    timezone = models.CharField(_("zona waktu"), max_length=40, blank=True, default="")
    notification_prefs = models.JSONField(_("preferensi notifikasi"), default=dict, blank=True)
    # Mixed into the session hash: changing it signs the user out of every browser ("keluar dari semua perangkat").
    auth_salt = models.CharField(max_length=32, blank=True, default="", editable=False)
    # An API token issued before this moment is void (accounts/authentication.py). Set by set_password(), so every
    # way of changing a password (profile, reset link, admin, `changepassword`) ends the account's API tokens,
    # as the password inside the session hash already ends its other sessions.
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique", condition=~models.Q(email="")),
        ]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        if self.is_erased:  # UU PDP: what remains of a person who asked to be forgotten
            return str(_("Operator desa %(desa)s") % {"desa": self.desa.name}) if self.desa else str(_("Pengguna terhapus"))
        return self.name or self.get_full_name() or self.username

    @property
    def is_erased(self) -> bool:
        return not self.is_active and self.username.startswith(ERASED_PREFIX)

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        if not self.auth_salt:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "helpdesk.accounts.User.session", f"{self.password}:{self.auth_salt}", secret=secret, algorithm="sha256"
        ).hexdigest()


class Forum(models.Model):
    class Mode(models.TextChoices):
        CLAIM = "claim", _("diambil relawan")
        AUTO = "auto", _("dibagi otomatis")

    name = models.CharField(_("nama"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.CLAIM)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("forum induk (eskalasi)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    telegram_chat_id = models.BigIntegerField(_("ID obrolan Telegram"), null=True, blank=True, unique=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)

    class Meta:
        verbose_name = _("forum ForSID")
        verbose_name_plural = _("forum ForSID")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ForumRegion(models.Model):
    """A region node covered by a forum. The one-to-one makes "a node belongs to at most one forum" a fact."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="coverage")
    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="forum_coverage")

    class Meta:
        verbose_name = _("wilayah forum")
        verbose_name_plural = _("wilayah forum")

    def __str__(self) -> str:
        return f"{self.forum} → {self.region_id}"


class ForumMembership(models.Model):
    class Role(models.TextChoices):
        VOLUNTEER = "volunteer", _("relawan")
        COORDINATOR = "coordinator", _("koordinator")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("peran"), max_length=12, choices=Role.choices, default=Role.VOLUNTEER)
    categories = models.ManyToManyField(Category, verbose_name=_("keahlian"), blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    available = models.BooleanField(_("tersedia"), default=True)
    max_open_tickets = models.PositiveSmallIntegerField(_("maks. tiket terbuka"), default=10)
    work_start = models.TimeField(_("jam mulai"), null=True, blank=True)
    work_end = models.TimeField(_("jam selesai"), null=True, blank=True)
    joined_at = models.DateTimeField(_("bergabung"), default=timezone.now)

    class Meta:
        verbose_name = _("anggota forum")
        verbose_name_plural = _("anggota forum")
        constraints = [models.UniqueConstraint(fields=["forum", "user"], name="membership_unique")]
        indexes = [models.Index(fields=["user", "is_active"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.forum} ({self.role})"


class OperatorReview(models.Model):
    """The record of a verification or rejection of an operator's sign-up."""

    class Decision(models.TextChoices):
        VERIFIED = "verified", _("diverifikasi")
        REJECTED = "rejected", _("ditolak")
        DEACTIVATED = "deactivated", _("dinonaktifkan")

    operator = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reviews_done")
    decision = models.CharField(max_length=12, choices=Decision.choices)
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("keputusan verifikasi")
        verbose_name_plural = _("keputusan verifikasi")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.operator} {self.decision}"


class Invitation(models.Model):
    """A single-use link to join a forum as volunteer or coordinator. Only a hash of the token is stored."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=12, choices=ForumMembership.Role.choices)
    categories = models.ManyToManyField(Category, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True, default="")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_created")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations_used"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("undangan")
        verbose_name_plural = _("undangan")

    def __str__(self) -> str:
        return f"{self.forum} {self.role} ({self.created_at:%Y-%m-%d})"


class SignInCounter(models.Model):
    """Sign-in attempts in one throttle window, per account (hashed username) or client address.

    Written only by `throttling.py` with single-statement compare-and-set SQL, so that parallel attempts
    can never overshoot the limit.
    """

    key = models.CharField(max_length=80, primary_key=True)
    attempts = models.PositiveIntegerField(default=0)
    reset_at = models.FloatField()  # Unix time at which the window ends

    class Meta:
        db_table = "accounts_signincounter"  # named in throttling._RESERVE_SQL
        verbose_name = _("penghitung percobaan masuk")
        verbose_name_plural = _("penghitung percobaan masuk")

    def __str__(self) -> str:
        return f"{self.key}: {self.attempts}"
