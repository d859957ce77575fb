from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from comments.forms import ModerationForm
from comments.models import Comment, CommentBan, CommentFlag, ModerationDecision
from comments.moderation import comment_moderate
from comments.presentation import DONE, decision_message
from comments.services import CommentError
from core.admin import ReadOnlyAdminMixin


class FlaggedFilter(admin.SimpleListFilter):
    title = "flagged by readers"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged"), ("no", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(flag_count__gt=0)
        if self.value() == "no":
            return queryset.filter(flag_count=0)
        return queryset


class QueueFilter(admin.SimpleListFilter):
    """The header's queue: waiting comments and published ones with open reports."""

    title = "moderation queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "Waiting or reported")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.needing_moderation()
        return queryset


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    # Few columns, so the comment itself gets the room at 1280 px (the admin's sidebar and
    # filters take half the screen): where and by whom sit under the excerpt.
    list_display = ("excerpt", "status_and_why", "reports_count", "posted")
    list_display_links = ("excerpt",)
    list_filter = (QueueFilter, "status", FlaggedFilter, "created_at", "article")
    list_select_related = ("article", "author")
    list_per_page = 50
    search_fields = ("body", "author__email", "author__display_name", "article__title")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("approve", "reject", "mark_spam", "ban_author")
    fields = ("article", "author", "parent", "status", "held_reason", "shown_body",
              "created_at", "edited_at", "helpful_count", "flag_count", "reports", "audit")  # fmt: skip
    readonly_fields = fields
    change_form_template = "admin/comments/comment/change_form.html"

    @admin.display(description="Comment")
    def excerpt(self, obj: Comment) -> str:
        return format_html(
            '{}<span class="comment-meta">on “{}” · by {}</span>',
            Truncator(obj.body).chars(120),
            Truncator(obj.article.title).chars(60),
            obj.author.public_name if obj.author_id else "a former reader",
        )

    @admin.display(description="Reports", ordering="flag_count")
    def reports_count(self, obj: Comment) -> int:
        return obj.flag_count

    @admin.display(description="Posted", ordering="created_at")
    def posted(self, obj: Comment) -> str:
        return format_html(
            '<time datetime="{}">{}</time>',
            obj.created_at.isoformat(timespec="seconds"),
            timezone.localtime(obj.created_at).strftime("%-d %b %Y, %H:%M"),
        )

    @admin.display(description="Status", ordering="status")
    def status_and_why(self, obj: Comment) -> str:
        if obj.status == Comment.Status.PENDING and obj.held_reason:
            return format_html(
                '{}<span class="comment-meta">{}</span>',
                obj.get_status_display(),
                Truncator(obj.held_reason).chars(70),
            )
        return obj.get_status_display()

    @admin.display(description="Comment as readers see it")
    def shown_body(self, obj: Comment) -> str:
        # body_html is the sanitiser's output (core of the XSS tests), safe to show as is.
        return format_html('<div class="comment-body">{}</div>', mark_safe(obj.body_html))  # noqa: S308

    @admin.display(description="Open reports")
    def reports(self, obj: Comment) -> str:
        flags = obj.flags.filter(answered_at__isnull=True).select_related("user")
        return ", ".join(f"{f.get_reason_display()} ({f.user})" for f in flags) or "None"

    @admin.display(description="Decisions (newest first)")
    def audit(self, obj: Comment) -> str:
        decisions = obj.decisions.select_related("moderator")
        return (
            format_html_join(
                "",
                "<p>{} · {} · {}{}</p>",
                (
                    (
                        f"{d.created_at:%Y-%m-%d %H:%M}",
                        d.get_action_display(),
                        d.moderator or "the policy",
                        f" · {d.reason}" if d.reason else "",
                    )
                    for d in decisions
                ),
            )
            or "None"
        )

    def has_add_permission(self, request) -> bool:
        return False  # comments come from readers, through the site

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<int:pk>/decide/", decide, name="comments_comment_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing here is edited by hand: decisions go through the buttons (and the service).
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "decision_form": ModerationForm(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk: int):
        """The change page's approve, reject, spam and ban buttons post here."""
        if request.method != "POST":
            return redirect("admin:comments_comment_change", pk)
        if not self.has_change_permission(request):
            raise PermissionDenied
        comment = get_object_or_404(Comment, pk=pk)
        form = ModerationForm(request.POST)
        if form.is_valid():
            try:
                decisions = comment_moderate(
                    comments=[comment],
                    moderator=request.user,
                    action=form.cleaned_data["action"],
                    reason=form.cleaned_data["reason_text"],
                )
            except CommentError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                back_to = reverse("admin:comments_comment_change", args=[pk])
                decision_message(request, decisions, form.cleaned_data["action"], back_to=back_to)
        else:
            self.message_user(request, form.first_error(), messages.ERROR)
        return redirect("admin:comments_comment_change", pk)

    def _decide(self, request, queryset: QuerySet, action: str):
        """Approve at once; reject, spam and ban first ask why, on a page of their own."""
        form = ModerationForm(request.POST if "apply" in request.POST else None)
        if action != ModerationDecision.Action.APPROVE and not (form.is_bound and form.is_valid()):
            return TemplateResponse(
                request,
                "admin/comments/comment/decide_action.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": f"{DONE[action].capitalize()}: say why",
                    "items": list(queryset.select_related("article", "author")),
                    "action": request.POST.get("action"),
                    "decision": action,
                    "form": form,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "changelist_url": reverse("admin:comments_comment_changelist"),
                },
            )
        reason = form.cleaned_data["reason_text"] if form.is_bound and form.is_valid() else ""
        try:
            decisions = comment_moderate(
                comments=list(queryset), moderator=request.user, action=action, reason=reason
            )
        except CommentError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        decision_message(
            request, decisions, action, count=queryset.count(), back_to=request.get_full_path()
        )
        return None

    @admin.action(description="Approve (publish)", permissions=["change"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, ModerationDecision.Action.APPROVE)

    @admin.action(description="Reject…", permissions=["change"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, ModerationDecision.Action.REJECT)

    @admin.action(description="Mark as spam…", permissions=["change"])
    def mark_spam(self, request, queryset):
        return self._decide(request, queryset, ModerationDecision.Action.SPAM)

    @admin.action(description="Mark as spam and ban the author…", permissions=["change"])
    def ban_author(self, request, queryset):
        return self._decide(request, queryset, ModerationDecision.Action.BAN)


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    deletable = False  # the audit
    list_display = ("created_at", "action", "moderator", "comment", "reason")
    list_filter = ("action", "created_at")
    search_fields = ("reason", "moderator__email", "comment__body")
    list_select_related = ("moderator", "comment__article", "comment__author")


@admin.register(CommentFlag)
class CommentFlagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Readers' reports, to read; they come from readers, through the site, and moderators
    act on the reported comment itself."""

    list_display = ("created_at", "reason", "reported_comment", "user")
    list_filter = ("reason", "created_at")
    list_select_related = ("comment", "user")
    search_fields = ("comment__body", "user__email", "user__display_name")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    @admin.display(description="Comment")
    def reported_comment(self, obj: CommentFlag):
        url = reverse("admin:comments_comment_change", args=[obj.comment_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(obj.comment.body).chars(80))


@admin.register(CommentBan)
class CommentBanAdmin(admin.ModelAdmin):
    list_display = ("user", "reason", "banned_by", "created_at")
    search_fields = ("user__email", "user__display_name", "reason")
    autocomplete_fields = ("user",)
    readonly_fields = ("banned_by", "created_at")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.banned_by = request.user
        super().save_model(request, obj, form, change)
