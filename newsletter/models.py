from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from articles.models import Article, ArticleChange, Topic
from core.models import MailReceipt
from evidence.models import Trial, TrialChange


def new_token_id() -> str:
    return secrets.token_urlsafe(16)


class SubscriberQuerySet(models.QuerySet):
    def of_user(self, user) -> SubscriberQuerySet:
        """The reader's subscriptions: linked to their account (whatever address it has now),
        or at the address the account has now."""
        return self.filter(models.Q(user=user) | models.Q(email=user.email.lower()))


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        ACTIVE = "active", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        # Marked our mail as spam (a provider's complaint event): never mailed again.
        COMPLAINED = "complained", "Complained"
        # Soft bounces on too many messages of late (provider_events): mailed no more for now.
        SUSPENDED = "suspended", "Suspended"

    class Frequency(models.TextChoices):
        EACH_ARTICLE = "each", "Each new article"
        WEEKLY = "weekly", "Weekly digest"

    email = models.EmailField()
    # What the links in our mail name the subscriber by: random, so a URL says nothing of them.
    token_id = models.CharField(max_length=32, unique=True, default=new_token_id, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="subscribers", help_text="None means every topic."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    # Consent, as given when the subscription was confirmed.
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=40, blank=True)
    consent_topics = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class InterestQuerySet(models.QuerySet):
    def matching(self, articles) -> InterestQuerySet:
        """Combinations that one of these articles (each given as its topic ids) satisfies:
        its biomarker, if it names one, and its cancer type, if it names one."""
        condition = models.Q(pk__in=[])
        for topics in articles:
            condition |= (models.Q(biomarker__isnull=True) | models.Q(biomarker_id__in=topics)) & (
                models.Q(cancer_type__isnull=True) | models.Q(cancer_type_id__in=topics)
            )
        return self.filter(condition)


class Interest(models.Model):
    """A subscriber's alert for a biomarker in a cancer type: one of the two may be "any",
    never both (that would be every article; no topics and no combinations means that)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="interests")
    # Deleting a topic deletes the combination: "NRG1 fusion in pancreatic cancer" must not
    # quietly widen into "NRG1 fusion in any cancer".
    biomarker = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", limit_choices_to={"kind": Topic.Kind.BIOMARKER})  # fmt: skip
    cancer_type = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", limit_choices_to={"kind": Topic.Kind.CANCER_TYPE})  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InterestQuerySet.as_manager()

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(biomarker__isnull=False) | models.Q(cancer_type__isnull=False),
                name="interest_names_a_topic",
            ),
            # NULLs are distinct in a unique index on both databases: one constraint per shape.
            models.UniqueConstraint(
                fields=["subscriber", "biomarker", "cancer_type"],
                condition=models.Q(biomarker__isnull=False, cancer_type__isnull=False),
                name="interest_once",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "biomarker"],
                condition=models.Q(cancer_type__isnull=True),
                name="interest_once_any_cancer",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "cancer_type"],
                condition=models.Q(biomarker__isnull=True),
                name="interest_once_any_biomarker",
            ),
        ]

    def __str__(self) -> str:
        return interest_label(self.biomarker, self.cancer_type)

    @property
    def specific(self) -> bool:
        return self.biomarker_id is not None and self.cancer_type_id is not None

    def matches(self, topic_ids) -> bool:
        """The Python twin of InterestQuerySet.matching, for one article."""
        return (self.biomarker_id is None or self.biomarker_id in topic_ids) and (
            self.cancer_type_id is None or self.cancer_type_id in topic_ids
        )


def interest_label(biomarker: Topic | None, cancer_type: Topic | None) -> str:
    """ "NRG1 fusion in pancreatic cancer", "NRG1 fusion in any cancer type", "Any biomarker in
    cholangiocarcinoma". A cancer type's capital goes unless it starts an acronym (NSCLC)."""
    if cancer_type is None:
        where = "any cancer type"
    else:
        name = cancer_type.name
        where = name[:1].lower() + name[1:] if name[1:2].islower() else name
    return f"{biomarker.name if biomarker else 'Any biomarker'} in {where}"


class Edition(models.Model):
    """One mailing: an editor's edition, a new-article alert, or a weekly digest."""

    class Kind(models.TextChoices):
        EDITION = "edition", "Edition"
        ALERT = "alert", "New-article alert"
        DIGEST = "digest", "Weekly digest"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        # The mail server refused our sender, the message or the session: sending stopped
        # with every reader left as they were, until an editor resumes it.
        ATTENTION = "attention", "Needs attention"
        SENT = "sent", "Sent"
        FAILURES = "failures", "Sent, with failures"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EDITION)
    subject = models.CharField(max_length=200)
    preheader = models.CharField(max_length=200, blank=True)
    intro = models.TextField(blank=True, help_text="Markdown.")
    featured = models.ManyToManyField(Article, blank=True, related_name="+")
    audience_topics = models.ManyToManyField(
        Topic, blank=True, related_name="+", help_text="None means every subscriber."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The article a new-article alert is about: one alert per article, ever.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A digest's corrections to articles mailed as alerts, for the readers who got the alert.
    corrections = models.ManyToManyField(ArticleChange, blank=True, related_name="+")
    # The ISO week a digest covers ("2026-W47"): one digest per week, ever.
    period = models.CharField(max_length=10, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why sending stopped (the mail server's answer), while it needs attention.
    stopped_reason = models.CharField(max_length=300, blank=True)
    # When the sweep last handed this edition to the workers (it does so at most once a minute).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Its deliveries counted once, by the step that finishes it (ledger.finish_if_done), in
    # the transaction that marks it finished: lists and pages read these and count nothing.
    # None while it is counted live: sending, stopped, or sending again after a retry.
    counted_at = models.DateTimeField(null=True, blank=True, editable=False)
    count_sent = models.PositiveIntegerField(default=0, editable=False)
    count_failed = models.PositiveIntegerField(default=0, editable=False)
    count_bounced = models.PositiveIntegerField(default=0, editable=False)
    count_cancelled = models.PositiveIntegerField(default=0, editable=False)
    count_skipped = models.PositiveIntegerField(default=0, editable=False)
    count_suppressed = models.PositiveIntegerField(default=0, editable=False)
    count_resent = models.PositiveIntegerField(default=0, editable=False)
    # Messages that left (sent_at set), those a provider bounced later included.
    count_left = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article"], condition=models.Q(kind="alert"), name="one_alert_per_article"
            ),
            models.UniqueConstraint(
                fields=["period"], condition=models.Q(kind="digest"), name="one_digest_per_week"
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_editable(self) -> bool:
        """Drafts and scheduled editions can still change; the rest are a record."""
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)


class Delivery(models.Model):
    """One message of one edition to one subscriber: the ledger the engine works from."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"  # temporary failures for longer than the retry budget
        BOUNCED = "bounced", "Bounced"  # the server refused the address for good
        CANCELLED = "cancelled", "Cancelled"
        # The reader left, bounced elsewhere or changed their choices after the edition started.
        SKIPPED = "skipped", "Skipped"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A claim lives while its worker renews it; the sweep takes back rows whose lease ran out.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set just before the message goes to the SMTP server, cleared when its fate is known: a
    # row that still has it when its lease runs out may have left, and is marked `resent`.
    handed_at = models.DateTimeField(null=True, blank=True)
    resent = models.BooleanField(
        default=False,
        help_text="Requeued after a crash once handed to the server: possibly sent twice.",
    )
    # Temporary failures are retried until then (NEWSLETTER_RETRY_MAX_HOURS after the first).
    retry_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    # The id a provider's API gave the message (anymail), which its webhooks' events name.
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["edition", "subscriber"], name="delivery_once")
        ]
        indexes = [
            models.Index(fields=["edition", "status"], name="delivery_queue_idx"),
            # The sweep's one question, answered from a small index: whose lease ran out?
            models.Index(
                fields=["lease_until"],
                condition=models.Q(status="sending"),
                name="delivery_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition_id} to {self.subscriber_id}: {self.status}"


class DeliveryEvent(models.Model):
    """What a mail provider's webhook reported about a message we sent: delivered, a hard or
    soft bounce, a complaint, an unsubscribe. Each event is kept once (by the provider's
    event id, or by message, recipient and kind when it gives none)."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"  # a hard bounce: the address does not exist
        DEFERRED = "deferred", "Soft bounce"  # a temporary failure: full mailbox, a busy server
        COMPLAINED = "complained", "Complaint"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed at the provider"
        REJECTED = "rejected", "Rejected by the provider"
        FAILED = "failed", "Failed at the provider"

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message_id = models.CharField(max_length=200, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    delivery = models.ForeignKey(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                # One notification may name several recipients (Amazon SES): one event each.
                fields=["provider", "event_id", "recipient"],
                condition=~models.Q(event_id=""),
                name="delivery_event_once",
            ),
            models.UniqueConstraint(
                fields=["provider", "message_id", "recipient", "kind"],
                condition=models.Q(event_id=""),
                name="delivery_event_once_without_id",
            ),
        ]
        indexes = [
            # Soft bounces of one subscriber of late: counted on each new one.
            models.Index(
                fields=["subscriber", "kind", "occurred_at"], name="delivery_event_kind_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.recipient or self.message_id}"


class TrialFollow(models.Model):
    """A reader following one trial from its card: by their account (one click, their verified
    address), or by an address confirmed through the newsletter's double opt-in. One row per
    trial and address; `token_id` names it in the signed links of its mail."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        ACTIVE = "active", "Following"
        UNFOLLOWED = "unfollowed", "Stopped following"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="follows")
    email = models.EmailField()
    token_id = models.CharField(max_length=32, unique=True, default=new_token_id, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trial_follows",
    )
    # Consent: which form, and when it was confirmed (or given by a verified account).
    source = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unfollowed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("trial", Lower("email"), name="trial_follow_email_ci_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email} follows {self.trial_id}"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class TrialFollowNotice(MailReceipt):
    """The ledger of followers' mail: one row per change and follower (core.mail_once), so
    no second run (or second worker) mails anyone twice."""

    change = models.ForeignKey(TrialChange, on_delete=models.CASCADE, related_name="+")
    follow = models.ForeignKey(TrialFollow, on_delete=models.CASCADE, related_name="notices")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "follow"], name="trial_follow_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.change_id} to follow {self.follow_id}: {self.outcome}"
