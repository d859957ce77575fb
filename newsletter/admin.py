from django import forms
from django.contrib import admin, messages
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse

from articles.admin import ScheduleForm
from newsletter import delivery
from newsletter.models import Delivery, Edition, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "consent_at", "consent_source", "created_at")
    list_filter = ("status", "frequency", "consent_source", "topics")
    search_fields = ("email",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "email", "status", "user", "consent_at", "consent_source", "consent_topics",
        "created_at", "requested_at", "unsubscribed_at",
    )  # fmt: skip
    fields = (*readonly_fields, "frequency", "topics")

    def has_add_permission(self, request) -> bool:
        return False  # people subscribe themselves, with double opt-in


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "status", "progress", "created_at", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("subject", "intro")
    fields = ("subject", "preheader", "intro", "featured", "audience_topics", "status", "scheduled_at",
              "progress", "started_at", "finished_at")  # fmt: skip
    readonly_fields = ("status", "scheduled_at", "progress", "started_at", "finished_at")
    actions = ("send_now", "schedule", "cancel", "send_test")
    formfield_overrides = {
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
    }

    def get_queryset(self, request):
        return delivery.with_progress(super().get_queryset(request))

    @admin.display(description="Progress")
    def progress(self, obj: Edition) -> str:
        if obj.pk is None:
            return "Not sent yet"
        p = delivery.edition_progress(obj)
        return (
            f"{p['percent']} % · {p['sent']} sent, {p['failed']} failed, "
            f"{p['queued'] + p['sending']} waiting, of {p['total']}"
        )

    @admin.action(description="Send a test to myself")
    def send_test(self, request, queryset) -> None:
        for edition in queryset:
            delivery.edition_send_test(edition=edition, to=request.user.email)
        self.message_user(request, f"Test sent to {request.user.email}.", messages.SUCCESS)

    @admin.action(description="Schedule…")
    def schedule(self, request, queryset):
        form = ScheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for edition in queryset:
                delivery.edition_schedule(edition=edition, at=form.cleaned_data["publish_at"])
            self.message_user(request, "Scheduled.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/schedule_action.html",
            {
                **self.admin_site.each_context(request),
                "title": "Schedule editions",
                "items": queryset,
                "intro": "These editions will be sent at the time you choose:",
                "changelist_url": reverse("admin:newsletter_edition_changelist"),
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Cancel sending")
    def cancel(self, request, queryset) -> None:
        for edition in queryset:
            stopped = delivery.edition_cancel(edition=edition)
            self.message_user(request, f"“{edition}” cancelled; {stopped} messages will not go.")

    @admin.action(description="Send now…")
    def send_now(self, request, queryset):
        editions = [
            e for e in queryset if e.status in (Edition.Status.DRAFT, Edition.Status.SCHEDULED)
        ]
        if not editions:
            self.message_user(
                request, "Only drafts and scheduled editions can be sent.", messages.ERROR
            )
            return None
        if "confirm" not in request.POST:
            audiences = [(e, delivery.audience(e).count()) for e in editions]
            return TemplateResponse(
                request,
                "admin/newsletter/edition/send_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Send editions now",
                    "audiences": audiences,
                    "opts": self.model._meta,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        for edition in editions:
            total = delivery.edition_send(edition=edition)
            self.message_user(request, f"“{edition}” is sending to {total} subscribers.")
        return None


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("edition", "subscriber", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "edition")
    search_fields = ("subscriber__email",)
    list_select_related = ("edition", "subscriber")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
