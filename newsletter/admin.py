from csp.constants import NONE, SELF, UNSAFE_INLINE
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from core.admin import ReadOnlyAdminMixin, ScheduleForm, schedule_page
from newsletter import emails, selectors, services
from newsletter.models import Delivery, DeliveryEvent, Edition, Subscriber, TrialFollow


class EditionScheduleForm(ScheduleForm):
    label = "Send at"
    help = "The edition goes out at this time."
    now_button = "Send now…"


def with_featured(edition: Edition) -> Edition:
    edition.featured_articles = selectors.featured_articles(edition)
    return edition


def not_public_message(edition: Edition, articles: list) -> str:
    titles = ", ".join(
        f"“{article.title}” ({article.get_status_display().lower()})" for article in articles
    )
    return (
        f"“{edition}” was not sent: it features {titles}, not public yet, and a link to an "
        "article that is not public is a missing page. Publish those articles or take them "
        "out of the edition, then send."
    )


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    show_full_result_count = False  # no second COUNT(*) of the whole table
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


@admin.register(TrialFollow)
class TrialFollowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who follows which trial: read only, since readers follow and stop themselves."""

    list_display = ("email", "trial", "status", "source", "confirmed_at", "unfollowed_at")
    list_filter = ("status", "source")
    search_fields = ("email", "trial__nct_id")
    list_select_related = ("trial",)


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "status", "progress", "created_at", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("subject", "intro")
    composed = ("subject", "preheader", "intro", "featured", "audience_topics")
    fields = (
        *composed, "kind", "status", "stopped_reason", "scheduled_at", "started_at", "finished_at",
    )  # fmt: skip
    readonly_fields = (
        "kind", "status", "stopped_reason", "scheduled_at", "started_at", "finished_at",
    )  # fmt: skip
    actions = ("send_now", "schedule", "cancel", "send_test", "resume", "retry_failed")
    show_full_result_count = False
    change_form_template = "admin/newsletter/edition/change_form.html"
    formfield_overrides = {
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
    }

    def get_readonly_fields(self, request, obj=None):
        # Once it has started, an edition is a record of what was sent: no more editing.
        if obj is not None and not obj.is_editable:
            return self.fields
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        return self.composed if obj is None else self.fields

    # The edition page: preview, progress and deliveries, and its own buttons ---------------
    def get_urls(self):
        def view(method):
            return self.admin_site.admin_view(method)

        return [
            path("<int:pk>/progress/", view(self.progress_view), name="newsletter_edition_progress"),
            path("<int:pk>/preview/<str:part>/", view(self.preview_view),
                 name="newsletter_edition_preview"),
            path("<int:pk>/send/", view(self.send_view), name="newsletter_edition_send"),
            path("<int:pk>/test/", view(self.test_view), name="newsletter_edition_test"),
            path("<int:pk>/cancel/", view(self.cancel_view), name="newsletter_edition_cancel"),
            path("<int:pk>/resume/", view(self.resume_view), name="newsletter_edition_resume"),
            path("<int:pk>/retry-failed/", view(self.retry_failed_view),
                 name="newsletter_edition_retry_failed"),
            path("<int:pk>/schedule/", view(self.schedule_view),
                 name="newsletter_edition_schedule"),
            *super().get_urls(),
        ]  # fmt: skip

    def _edition(self, request: HttpRequest, pk: int, *, change: bool = False) -> Edition:
        edition = get_object_or_404(self.get_queryset(request), pk=pk)
        allowed = (self.has_change_permission if change else self.has_view_permission)(
            request, edition
        )
        if not allowed:
            raise PermissionDenied
        return edition

    def progress_context(self, request: HttpRequest, edition: Edition) -> dict:
        progress = selectors.edition_progress(edition)
        return {
            "edition": edition,
            "progress": progress,
            "deliveries": selectors.deliveries_for_review(edition),
            "events": selectors.edition_events(edition),
            "complaint_warning": selectors.complaint_warning(),
            "deliveries_url": reverse("admin:newsletter_delivery_changelist")
            + f"?edition__id__exact={edition.pk}",
            "polling": edition.status in (Edition.Status.SENDING, Edition.Status.SCHEDULED),
            "retryable": edition.status in (Edition.Status.FAILURES, Edition.Status.SENT)
            and progress["failed"] > 0,
            "progress_url": reverse("admin:newsletter_edition_progress", args=[edition.pk]),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        edition = self.get_object(request, object_id)
        if edition is not None:
            extra_context.update(self.progress_context(request, edition))
            extra_context["featured"] = selectors.featured_articles(edition)
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_GET)
    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The progress panel alone, which the edition page fetches every few seconds. When
        the status has changed since the page showed it (`shown`), the send buttons come
        along, swapped in out of band: Cancel goes once the send ends, Resume comes when it
        stops. Only then, so that no button is replaced under the editor's pointer."""
        edition = self._edition(request, pk)
        context = self.progress_context(request, edition)
        changed = request.GET.get("shown") != edition.status
        context["tools_oob"] = changed and self.has_change_permission(request, edition)
        return TemplateResponse(request, "admin/newsletter/edition/_progress.html", context)

    @method_decorator(require_GET)
    @method_decorator(xframe_options_sameorigin)
    def preview_view(self, request: HttpRequest, pk: int, part: str) -> HttpResponse:
        """The message as a subscriber gets it (links to their own pages left out)."""
        if part not in ("html", "text"):
            raise Http404("No such preview.")
        message = emails.render_preview(self._edition(request, pk))
        if part == "text":
            return HttpResponse(message.text, content_type="text/plain; charset=utf-8")
        response = HttpResponse(message.html)
        # Mail HTML is styled inline; it may be framed by the edition page and runs nothing.
        response._csp_replace = {
            "default-src": [NONE],
            "script-src": [NONE],
            "connect-src": [NONE],
            "font-src": [NONE],
            "style-src": [UNSAFE_INLINE],
            "img-src": [SELF, "data:", "https:"],
            "frame-ancestors": [SELF],
            "form-action": [NONE],
            "sandbox": True,
        }
        return response

    def send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        edition = self._edition(request, pk, change=True)
        change_url = reverse("admin:newsletter_edition_change", args=[edition.pk])
        if not edition.is_editable:
            self.message_user(request, "This edition has already been sent.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        if request.method == "POST" and "confirm" in request.POST:
            # No flash message on success: the page's progress panel says it is sending, then
            # that it is sent, as it refreshes; a message would go on saying "is sending".
            self._send(request, edition, announce=False)
            return HttpResponseRedirect(change_url)
        return self.send_confirmation(request, [edition], cancel_url=change_url)

    def _send(self, request: HttpRequest, edition: Edition, *, announce: bool = True) -> None:
        try:
            total = services.edition_send(edition=edition)
        except services.FeaturedNotPublic as refused:
            self.message_user(
                request, not_public_message(edition, refused.articles), messages.ERROR
            )
            return
        if announce:
            self.message_user(request, f"“{edition}” is sending to {total} subscribers.")

    @method_decorator(require_POST)
    def test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        edition = self._edition(request, pk, change=True)
        services.edition_send_test(edition=edition, to=request.user.email)
        self.message_user(request, f"Test sent to {request.user.email}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:newsletter_edition_change", args=[edition.pk]))

    @method_decorator(require_POST)
    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        edition = self._edition(request, pk, change=True)
        stopped = services.edition_cancel(edition=edition)
        self.message_user(request, f"“{edition}” cancelled; {stopped} messages will not go.")
        return HttpResponseRedirect(reverse("admin:newsletter_edition_change", args=[edition.pk]))

    @method_decorator(require_POST)
    def resume_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        edition = self._edition(request, pk, change=True)
        self._resume(request, edition)
        return HttpResponseRedirect(reverse("admin:newsletter_edition_change", args=[edition.pk]))

    @method_decorator(require_POST)
    def retry_failed_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        edition = self._edition(request, pk, change=True)
        self._retry_failed(request, edition)
        return HttpResponseRedirect(reverse("admin:newsletter_edition_change", args=[edition.pk]))

    def _resume(self, request: HttpRequest, edition: Edition) -> None:
        if services.edition_resume(edition=edition):
            self.message_user(request, f"“{edition}” is sending again.", messages.SUCCESS)
        else:
            self.message_user(
                request, f"“{edition}” was not stopped, so there is nothing to resume.",
                messages.WARNING,
            )  # fmt: skip

    def _retry_failed(self, request: HttpRequest, edition: Edition) -> None:
        retried = services.edition_retry_failed(edition=edition)
        self.message_user(
            request,
            f"“{edition}”: {retried} failed deliveries will be tried again "
            "(bounced and unsubscribed addresses are left alone).",
            messages.SUCCESS if retried else messages.WARNING,
        )

    @admin.action(description="Resume sending", permissions=["change"])
    def resume(self, request, queryset) -> None:
        for edition in queryset:
            self._resume(request, edition)

    @admin.action(description="Retry failed deliveries", permissions=["change"])
    def retry_failed(self, request, queryset) -> None:
        for edition in queryset:
            self._retry_failed(request, edition)

    def send_confirmation(self, request, editions, *, cancel_url: str, action: bool = False):
        audiences = [
            (e, selectors.audience(e).count(), selectors.featured_articles(e)) for e in editions
        ]
        return TemplateResponse(
            request,
            "admin/newsletter/edition/send_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": "Send now",
                "audiences": audiences,
                "blocked": any(not a.is_public for _, _, featured in audiences for a in featured),
                "opts": self.model._meta,
                "cancel_url": cancel_url,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME if action else "",
            },
        )

    @admin.display(description="Progress")
    def progress(self, obj: Edition) -> str:
        # A finished edition's stored counts; only one still sending is counted (one query).
        p = selectors.edition_progress(obj, reported=False)
        return (
            f"{p['percent']} % · {p['sent']} sent, {p['failed']} failed, {p['bounced']} bounced, "
            f"{p['waiting']} waiting, of {p['total']}"
        )

    @admin.action(description="Send a test to myself", permissions=["change"])
    def send_test(self, request, queryset) -> None:
        for edition in queryset:
            services.edition_send_test(edition=edition, to=request.user.email)
        self.message_user(request, f"Test sent to {request.user.email}.", messages.SUCCESS)

    @admin.action(description="Schedule…", permissions=["change"])
    def schedule(self, request, queryset):
        form = EditionScheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for edition in queryset:
                self._schedule(request, edition, form.cleaned_data["publish_at"])
            return None
        return self.schedule_page(
            request, queryset, form, reverse("admin:newsletter_edition_changelist"), action=True
        )

    def schedule_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        edition = self._edition(request, pk, change=True)
        change_url = reverse("admin:newsletter_edition_change", args=[edition.pk])
        if not edition.is_editable:
            self.message_user(request, "This edition has already been sent.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = EditionScheduleForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            self._schedule(request, edition, form.cleaned_data["publish_at"])
            return HttpResponseRedirect(change_url)
        return self.schedule_page(request, [edition], form, change_url)

    def _schedule(self, request: HttpRequest, edition: Edition, at) -> None:
        late = services.edition_schedule(edition=edition, at=at)
        if late:
            # Allowed: at its time the edition waits for them (services.scheduled_editions_send).
            titles = ", ".join(f"“{article.title}”" for article in late)
            self.message_user(
                request,
                f"“{edition}” is scheduled, but {titles} will not be public by then: it will "
                "wait and go out once they are.",
                messages.WARNING,
            )
        else:
            self.message_user(request, f"“{edition}” is scheduled.", messages.SUCCESS)

    def schedule_page(self, request, editions, form, back_url: str, *, action: bool = False):
        return schedule_page(
            self,
            request,
            items=[with_featured(e) for e in editions],
            form=form,
            title="Schedule editions",
            intro="These editions will be sent at the time you choose:",
            back_url=back_url,
            action=action,
            template="admin/newsletter/edition/schedule.html",
        )

    @admin.action(description="Cancel sending", permissions=["change"])
    def cancel(self, request, queryset) -> None:
        for edition in queryset:
            stopped = services.edition_cancel(edition=edition)
            self.message_user(request, f"“{edition}” cancelled; {stopped} messages will not go.")

    @admin.action(description="Send now…", permissions=["change"])
    def send_now(self, request, queryset):
        editions = [e for e in queryset if e.is_editable]
        if not editions:
            self.message_user(
                request, "Only drafts and scheduled editions can be sent.", messages.ERROR
            )
            return None
        if "confirm" not in request.POST:
            return self.send_confirmation(
                request,
                editions,
                cancel_url=reverse("admin:newsletter_edition_changelist"),
                action=True,
            )
        for edition in editions:
            self._send(request, edition)
        return None


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False  # no second COUNT(*) of the whole table
    list_display = ("edition", "subscriber", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "edition")
    search_fields = ("subscriber__email",)
    list_select_related = ("edition", "subscriber")


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False  # no second COUNT(*) of the whole table
    list_display = ("occurred_at", "kind", "recipient", "provider", "description", "delivery")
    list_filter = ("kind", "provider")
    search_fields = ("recipient", "message_id")
    list_select_related = ("delivery",)
