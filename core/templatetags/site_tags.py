from __future__ import annotations

import json
import re
from datetime import date, datetime

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.template import TemplateDoesNotExist
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.links import absolute_url

register = template.Library()

# The same escapes as Django's json_script: nothing in the data can close the element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data: dict | list | None) -> str:
    """A schema.org block. It is data, not script, so the CSP has nothing to allow."""
    if not data:
        return ""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def optional_include(context, template_name: str) -> str:
    """Render a template another app may provide; nothing if that app is not installed.

    The article page shows the discussion and the newsletter signup this way, so articles
    knows no more of those apps than a template name.
    """
    try:
        included = context.template.engine.get_template(template_name)
    except TemplateDoesNotExist:
        return ""
    return included.render(context)


@register.filter
def absolute(path: str) -> str:
    """An absolute URL on the canonical site (never built from the request's Host header)."""
    return absolute_url(path) if path.startswith("/") else path


@register.filter
def machine_time(value: datetime | date | None) -> str:
    """A <time datetime> value: ISO 8601 in the site's zone, with its offset, to the second.

    HTML allows at most three digits of fractional seconds; `date:'c'` writes six.
    """
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ""


@register.filter(is_safe=True)
def oneline(text: str) -> str:
    """Whitespace, newlines included, collapsed to single spaces: for <title>, where
    allauth's blocks put their words on lines of their own."""
    return re.sub(r"\s+", " ", str(text)).strip()
