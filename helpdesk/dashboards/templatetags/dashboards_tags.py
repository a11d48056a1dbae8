"""`{% dashboard_link %}` for the navigation, and `|duration_text` for minutes on the dashboards."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from helpdesk.dashboards.access import can_see_dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_link(context: template.Context) -> SafeString | str:
    user = getattr(context.get("request"), "user", None)
    if user is None or not can_see_dashboard(user):
        return ""
    return format_html('<a href="{}" accesskey="d">{}</a>', reverse("dashboard"), _("Dasbor"))


@register.filter
def duration_text(minutes: Any) -> str:
    """62.5 → "1 j 3 m"; 1500 → "1 h 1 j" (days, hours, minutes in Indonesian abbreviations)."""
    if minutes is None or minutes == "":
        return "-"
    total = round(float(minutes))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d h %(h)d j") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d j %(m)d m") % {"h": hours, "m": mins}
    return _("%(m)d m") % {"m": mins}


@register.filter
def region_title(region: Any) -> str:
    """`Kecamatan Sembalun`, `Provinsi Nusa Tenggara Barat`, but `Kabupaten Lombok Timur` (already in the name)."""
    kind = str(region.get_kind_display())
    name = str(region.name)
    return name if name.lower().startswith(kind.lower()) else f"{kind} {name}"
