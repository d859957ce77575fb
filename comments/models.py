from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import Truncator

from articles.models import Article
from core.models import MailReceipt

SEGMENT_WIDTH = 10  # a path segment is a zero-padded primary key: "0000000042/"


def is_moderator(user) -> bool:
    """Whether the pages show `user` the moderators' view (waiting comments, reports, buttons).

    Moderators are staff; asking is_staff first spares every other reader the two permission
    queries that has_perm costs."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_staff
        and user.has_perm("comments.change_comment")
    )


def visible_q(user) -> Q:
    """What a reader may see: published and removed comments, plus their own waiting ones.

    Removed comments stay as placeholders so the replies under them keep their place.
    """
    shown = Q(status__in=(Comment.Status.APPROVED, Comment.Status.REMOVED))
    if user is not None and user.is_authenticated:
        if is_moderator(user):
            shown |= Q(status=Comment.Status.PENDING)  # moderators work from the page too
        else:
            shown |= Q(status=Comment.Status.PENDING, author=user)
    return shown


def editable(*, status: str, created_at) -> bool:
    """Authors may correct a comment for a short while after posting it."""
    return status in (
        Comment.Status.APPROVED,
        Comment.Status.PENDING,
    ) and timezone.now() < created_at + timedelta(minutes=settings.COMMENTS_EDIT_MINUTES)


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommentQuerySet:
        return self.filter(visible_q(user))

    def published(self) -> CommentQuerySet:
        return self.filter(status=Comment.Status.APPROVED)

    def needing_moderation(self) -> CommentQuerySet:
        """The moderators' queue: waiting comments, and published ones with open reports."""
        return self.filter(
            Q(status=Comment.Status.PENDING) | Q(status=Comment.Status.APPROVED, flag_count__gt=0)
        )


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for moderation"
        APPROVED = "approved", "Published"
        REJECTED = "rejected", "Rejected"
        SPAM = "spam", "Spam"
        REMOVED = "removed", "Removed by its author"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    # The comment the reader clicked "Reply" on: the parent, unless that was at the depth cap.
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Materialised path: ORDER BY path is display order; a thread is one range of paths.
    thread_id = models.BigIntegerField(null=True, db_index=True, editable=False)
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    body = models.TextField()
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    held_reason = models.CharField(
        max_length=200, blank=True, help_text="Why the policy held this comment for review."
    )
    needs_advice_note = models.BooleanField(
        default=False, help_text="Looks like a request for personal treatment advice."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    helpful_count = models.PositiveIntegerField(default=0)
    # Reports no moderator has answered yet: always recounted from CommentFlag rows.
    flag_count = models.PositiveIntegerField(default=0)
    ip_hash = models.CharField(max_length=64, blank=True)
    # Approved by a moderator after waiting, and its author not yet told on the site.
    approval_unseen = models.BooleanField(default=False, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ("path",)
        constraints = [
            models.UniqueConstraint(
                fields=["article", "path"],
                condition=~Q(path=""),
                name="comment_unique_path_per_article",
            )
        ]
        indexes = [
            models.Index(fields=["article", "status", "path"], name="comment_thread_idx"),
            models.Index(fields=["status", "-created_at"], name="comment_queue_idx"),
        ]

    def __str__(self) -> str:
        # Read in the audit and the admin: say whose comment on which article, not numbers.
        who = self.author.public_name if self.author_id else "A former reader"
        return f"{who} on “{Truncator(self.article.title).chars(60)}”"

    def get_absolute_url(self) -> str:
        return reverse("comment_permalink", kwargs={"pk": self.pk})

    def place(self) -> None:
        """Set path and thread from the parent and this comment's own key, once it has one.

        The primary key makes each path segment unique without any lock.
        """
        parent = self.parent
        self.path = f"{parent.path if parent else ''}{self.pk:0{SEGMENT_WIDTH}d}/"
        self.thread_id = parent.thread_id if parent else self.pk
        self.save(update_fields=["path", "thread_id"])

    @property
    def anchor(self) -> str:
        return f"comment-{self.pk}"

    @property
    def editable_until(self):
        return self.created_at + timedelta(minutes=settings.COMMENTS_EDIT_MINUTES)

    @property
    def is_editable(self) -> bool:
        return editable(status=self.status, created_at=self.created_at)

    @property
    def is_removed(self) -> bool:
        return self.status == self.Status.REMOVED


class ModerationDecision(models.Model):
    """Who decided what about a comment, when and why. The policy decides as nobody (None)."""

    class Action(models.TextChoices):
        PUBLISH = "publish", "Published by the policy"
        HOLD = "hold", "Held for review by the policy"
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        SPAM = "spam", "Marked as spam"
        BAN = "ban", "Author banned"
        UNDO = "undo", "Decision undone"

    # Reasons a moderator picks from when hiding a comment; free text may add to them.
    class Reason(models.TextChoices):
        OFF_TOPIC = "Off topic", "Off topic"
        ADVICE = "Personal medical advice", "Gives or asks for personal medical advice"
        MISINFORMATION = "Medical misinformation", "Medical misinformation"
        ABUSE = "Abusive or disrespectful", "Abusive or disrespectful"
        PRIVACY = "Shares personal information", "Shares someone's personal information"
        PROMOTION = "Advertising or spam", "Advertising or spam"
        OTHER = "Other", "Other (say why below)"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="decisions")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.CharField(max_length=300, blank=True)
    # The comment's status before this decision, so that it can be undone for a while.
    previous_status = models.CharField(max_length=20, blank=True, choices=Comment.Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def undo_until(self):
        return self.created_at + timedelta(minutes=settings.COMMENTS_UNDO_MINUTES)


def address_digest(email: str) -> str:
    """A one-way, keyed hash of an address (HMAC-SHA256 keyed from SECRET_KEY): it recognises
    the address again without keeping it."""
    return salted_hmac("comments.ban", email.strip().lower(), algorithm="sha256").hexdigest()


class CommentBan(models.Model):
    """A reader who may no longer post. Their existing comments are handled separately.

    The ban outlives the account: the address is kept as a digest, so signing up again with
    it does not lift the ban.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="comment_ban",
    )
    email_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reason = models.CharField(max_length=300, blank=True)
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Ban of {self.user or 'a deleted account'}"

    def save(self, *args, **kwargs):
        if self.user_id and not self.email_digest:
            self.email_digest = address_digest(self.user.email)
        super().save(*args, **kwargs)


class HelpfulMark(models.Model):
    """One reader found one comment helpful (at most once; undoable)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="helpful_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="helpful_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} found {self.comment_id} helpful"


class CommentFlag(models.Model):
    """A reader's report of a comment, with a reason; once per reader per comment."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Abusive or disrespectful"
        MISINFORMATION = "misinformation", "Medical misinformation"
        PRIVACY = "privacy", "Shares someone's personal information"
        OTHER = "other", "Something else"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a moderator approves the comment: an answered report no longer counts.
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="flag_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.comment_id})"


class Notification(models.Model):
    """The ledger of notification emails: one row per (kind, comment, recipient), ever.

    The row is written in the same transaction that sends the mail, so a retried task or a
    second worker finds it and sends nothing. A permanent refusal (5xx) is recorded as
    failed, with the server's answer, and never tried again; a deferred one leaves no row.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply to your comment"
        ARTICLE_COMMENT = "article_comment", "Comment on your article"
        APPROVED = "approved", "Your waiting comment is published"

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Refused by the mail server"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENT)
    detail = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "comment", "recipient"], name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} about {self.comment_id}"


class ModerationDigest(models.Model):
    """One row per digest period, so a schedule that fires twice sends one digest; each
    moderator's copy is its own receipt."""

    period = models.CharField(max_length=20, unique=True)
    waiting = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Digest {self.period}"


class ModerationDigestReceipt(MailReceipt):
    """One moderator's copy of one digest (core.mail_once)."""

    digest = models.ForeignKey(ModerationDigest, on_delete=models.CASCADE, related_name="receipts")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "recipient"], name="digest_once_per_moderator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.digest} to {self.recipient_id}: {self.outcome}"
