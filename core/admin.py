"""Pieces every app's admin uses. Nothing is registered here.

- ReadOnlyAdminMixin: records that are written by the site (audits, ledgers, reports), which
  staff may read but never add or edit.
- Times in the editor's zone: `local_datetime_field` and `in_current_zone`.
- One schedule form and one schedule page, for articles and newsletter editions alike.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy


class ReadOnlyAdminMixin:
    """Readable, never added or edited through the admin. `deletable` keeps delete (for
    clearing old reports, say); an audit sets it to False."""

    deletable = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)


_current_zone_name = lazy(timezone.get_current_timezone_name, str)


def in_current_zone(text: str):
    """Help text naming the zone the time is read in: the editor's, known only per request."""
    return format_lazy("In {}. {}", _current_zone_name(), text)


def local_datetime_field(**kwargs) -> forms.DateTimeField:
    """The browser's own date-and-time picker: one labelled input, keyboard friendly.

    The picker has no zone of its own; the form reads and shows the value in the current
    zone (the editor's, see accounts.middleware), which the help text names.
    """
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        **kwargs,
    )


class ScheduleForm(forms.Form):
    """A time in the future. Subclasses name what happens then and the button that does it
    at once."""

    label = "Publish at"
    help = "The articles go live at this time."
    now_button = "Publish now"

    publish_at = local_datetime_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publish_at"].label = self.label
        self.fields["publish_at"].help_text = in_current_zone(self.help)

    def clean_publish_at(self):
        value = self.cleaned_data["publish_at"]
        if value <= timezone.now():
            raise forms.ValidationError(f"Choose a time in the future, or use “{self.now_button}”.")
        return value


def schedule_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    items,
    form: ScheduleForm,
    title: str,
    intro: str,
    back_url: str,
    action: bool,
    template: str = "admin/schedule_action.html",
) -> TemplateResponse:
    """The page that asks when. `action` when it answers a changelist action, whose choice
    of rows the form carries back. A refused time is answered with a 400 that says why."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "items": items,
            "intro": intro,
            "changelist_url": back_url,
            "form": form,
            "opts": model_admin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME if action else "",
        },
        status=400 if form.is_bound else 200,
    )
