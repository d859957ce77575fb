"""The suppression list in the admin: staff see every suppressed address and why, and lift one
with a reason (core.suppression.suppression_lift), which the row keeps."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from core.models import Suppression
from core.suppression import suppression_lift


class LiftForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why mail may go to this address again; kept with your name.",
    )


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    deletable = False  # lifting, with a reason, is the way out
    list_display = ("email", "reason", "detail", "created_at", "skipped", "lifted_at", "lift")
    list_filter = ("reason", ("lifted_at", admin.EmptyFieldListFilter))
    search_fields = ("email",)
    list_select_related = ("lifted_by",)
    readonly_fields = (
        "email", "reason", "detail", "created_at", "skipped", "last_skipped_at",
        "lifted_at", "lifted_by", "lift_reason",
    )  # fmt: skip

    def get_urls(self):
        lift = self.admin_site.admin_view(self.lift_view)
        return [path("<int:pk>/lift/", lift, name="core_suppression_lift"), *super().get_urls()]

    @admin.display(description="Lift")
    def lift(self, obj: Suppression) -> str:
        if not obj.active:
            return f"Lifted by {obj.lifted_by or 'someone since removed'}: {obj.lift_reason}"
        return format_html(
            '<a href="{}">Lift…</a>', reverse("admin:core_suppression_lift", args=[obj.pk])
        )

    def lift_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        suppression = get_object_or_404(Suppression, pk=pk, lifted_at__isnull=True)
        if not request.user.has_perm("core.lift_suppression"):
            raise PermissionDenied
        form = LiftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                suppression_lift(
                    suppression=suppression, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ValueError as error:  # a reason of nothing but spaces
                form.add_error("reason", str(error))
            else:
                messages.success(request, f"Mail may go to {suppression.email} again.")
                return HttpResponseRedirect(reverse("admin:core_suppression_changelist"))
        return TemplateResponse(
            request,
            "admin/core/suppression/lift.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Lift the suppression of {suppression.email}",
                "suppression": suppression,
                "form": form,
                "opts": self.model._meta,
                "changelist_url": reverse("admin:core_suppression_changelist"),
            },
            status=400 if form.is_bound else 200,
        )
