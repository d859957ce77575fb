from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from comments.models import Comment, CommentBan, CommentFlag, ModerationDecision
from comments.services import comment_moderate


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


class DecisionInline(admin.TabularInline):
    model = ModerationDecision
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "moderator", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = (
        "excerpt",
        "article",
        "author",
        "status",
        "held_reason",
        "flag_count",
        "created_at",
    )
    list_filter = ("status", FlaggedFilter, "created_at", "article")
    list_select_related = ("article", "author")
    search_fields = ("body", "author__email", "author__display_name", "article__title")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("approve", "reject", "mark_spam", "ban_author")
    fields = ("article", "author", "parent", "status", "held_reason", "body", "body_html",
              "created_at", "edited_at", "helpful_count", "flag_count")  # fmt: skip
    readonly_fields = ("article", "author", "parent", "status", "held_reason", "body",
                       "body_html", "created_at", "edited_at", "helpful_count", "flag_count")  # fmt: skip
    inlines = (DecisionInline,)

    @admin.display(description="Comment")
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80)

    def has_add_permission(self, request) -> bool:
        return False  # comments come from readers, through the site

    def _decide(self, request, queryset: QuerySet, action: str, done: str) -> None:
        count = comment_moderate(
            comments=list(queryset), moderator=request.user, action=action, reason="admin action"
        )
        self.message_user(request, f"{count} comment(s) {done}.", messages.SUCCESS)

    @admin.action(description="Approve (publish)", permissions=["change"])
    def approve(self, request, queryset) -> None:
        self._decide(request, queryset, ModerationDecision.Action.APPROVE, "published")

    @admin.action(description="Reject", permissions=["change"])
    def reject(self, request, queryset) -> None:
        self._decide(request, queryset, ModerationDecision.Action.REJECT, "rejected")

    @admin.action(description="Mark as spam", permissions=["change"])
    def mark_spam(self, request, queryset) -> None:
        self._decide(request, queryset, ModerationDecision.Action.SPAM, "marked as spam")

    @admin.action(description="Mark as spam and ban the author", permissions=["change"])
    def ban_author(self, request, queryset) -> None:
        self._decide(request, queryset, ModerationDecision.Action.BAN, "removed; authors banned")


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "moderator", "comment", "reason")
    list_filter = ("action", "created_at")
    search_fields = ("reason", "moderator__email", "comment__body")
    list_select_related = ("moderator", "comment__article", "comment__author")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CommentFlag)
class CommentFlagAdmin(admin.ModelAdmin):
    """Readers' reports, to read; moderators act on the reported comment itself."""

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

    def has_add_permission(self, request) -> bool:
        return False  # reports come from readers, through the site

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
