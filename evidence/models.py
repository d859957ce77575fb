from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import MailReceipt
from evidence.registry import PHASES


class Trial(models.Model):
    """A trial an article cites, as the registry last gave it (`as_of`). A failed fetch keeps
    the last data and its date; `failures` and `next_attempt_at` hold the backoff."""

    class Status(models.TextChoices):
        NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
        RECRUITING = "RECRUITING", "Recruiting"
        ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
        ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
        SUSPENDED = "SUSPENDED", "Suspended"
        TERMINATED = "TERMINATED", "Terminated"
        COMPLETED = "COMPLETED", "Completed"
        WITHDRAWN = "WITHDRAWN", "Withdrawn"
        UNKNOWN = "UNKNOWN", "Unknown status"

    nct_id = models.CharField("NCT number", max_length=11, unique=True)
    title = models.CharField(max_length=500, blank=True)
    phases = models.JSONField(default=list, blank=True)
    overall_status = models.CharField(max_length=40, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    interventions = models.JSONField(default=list, blank=True)
    sponsor = models.CharField(max_length=300, blank=True)
    enrollment = models.PositiveIntegerField(null=True, blank=True)
    enrollment_actual = models.BooleanField(default=False)
    locations = models.PositiveIntegerField(null=True, blank=True)
    last_update_posted = models.DateField(null=True, blank=True)
    results_first_posted = models.DateField(null=True, blank=True)
    as_of = models.DateTimeField(
        null=True, blank=True, help_text="When the registry last gave this record."
    )
    source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the record came from when not from the registry (the demo's sources).",
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("nct_id",)

    def __str__(self) -> str:
        return self.nct_id

    @property
    def registry_url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"

    @property
    def phase_label(self) -> str:
        return "/".join(PHASES.get(phase, phase) for phase in self.phases)

    @property
    def status_label(self) -> str:
        known = dict(self.Status.choices)
        return known.get(self.overall_status, self.overall_status.replace("_", " ").capitalize())


class TrialChange(models.Model):
    """A change in a trial's registry record that readers and editors are told of: its overall
    status moving, or its results first posted. Recorded once (the constraint)."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status changed"
        RESULTS = "results", "Results posted"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    old_status = models.CharField(max_length=40, blank=True)
    new_status = models.CharField(max_length=40, blank=True)
    registry_date = models.DateField(
        null=True,
        blank=True,
        help_text="The registry's date for it: results first posted, or its last update posted.",
    )
    # What makes it the same change: its kind, the new status and the registry's date.
    key = models.CharField(max_length=100, editable=False)
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Set once every editor's copy is sent or recorded (evidence/notifications.py); until then
    # the hourly refresh hands the change to the editors' task again.
    editors_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-recorded_at", "-pk")
        constraints = [models.UniqueConstraint(fields=["trial", "key"], name="trial_change_once")]

    def __str__(self) -> str:
        return f"{self.trial}: {self.get_kind_display()}"

    @property
    def on(self):
        """The day it happened: the registry's date, else the day it was recorded."""
        return self.registry_date or (self.recorded_at.date() if self.recorded_at else None)

    @property
    def summary(self) -> str:
        """In words, without the date: "Status changed from Recruiting to Completed"."""
        if self.kind == self.Kind.RESULTS:
            return "Results posted"
        labels = dict(Trial.Status.choices)

        def label(status: str) -> str:
            return labels.get(status, status.replace("_", " ").capitalize())

        if not self.old_status:
            return f"Status changed to {label(self.new_status)}"
        return f"Status changed from {label(self.old_status)} to {label(self.new_status)}"


class TrialChangeNotice(MailReceipt):
    """The ledger of editors' mail about a change: one row per change and person
    (core.mail_once)."""

    change = models.ForeignKey(TrialChange, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "recipient"], name="trial_change_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.change} to user {self.recipient_id}: {self.outcome}"


class ReferenceCheck(models.Model):
    """The latest check of one cited reference: its DOI against Crossref, or its URL for a dead
    link. A check that could not be made (timeouts, Crossref down) keeps the last outcome."""

    class Outcome(models.TextChoices):
        OK = "ok", "Fine"
        FLAGGED = "flagged", "Something found"
        UNCHECKED = "unchecked", "Could not be checked"

    reference = models.OneToOneField(
        "articles.Reference", on_delete=models.CASCADE, related_name="citation_check"
    )
    target = models.CharField(max_length=500, help_text="The DOI or URL that was checked.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.target}: {self.get_outcome_display()}"


class Finding(models.Model):
    """Something an editor must look at in a cited reference: a retraction, a correction or an
    expression of concern on its paper, or a dead link. Found once (the constraint), mailed to
    the editors once, shown in the admin; nothing edits the article's text by itself."""

    class Kind(models.TextChoices):
        RETRACTION = "retraction", "Retracted"
        CORRECTION = "correction", "Corrected"
        CONCERN = "concern", "Expression of concern"
        DEAD_LINK = "dead_link", "Dead link"

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="findings"
    )
    reference = models.ForeignKey(
        "articles.Reference", on_delete=models.SET_NULL, null=True, related_name="findings"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    target = models.CharField(max_length=500, help_text="The DOI or URL it is about.")
    notice = models.CharField(
        max_length=500, blank=True, help_text="The notice's DOI, or the HTTP status of a dead link."
    )
    noticed_on = models.DateField(null=True, blank=True, help_text="The notice's date.")
    found_at = models.DateTimeField(auto_now_add=True)
    # What makes it the same finding: its kind, what it is about, and the notice.
    key = models.CharField(max_length=600, editable=False)

    class Meta:
        ordering = ("-found_at", "-pk")
        constraints = [
            models.UniqueConstraint(fields=["article", "key"], name="finding_once_per_article")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.target}"


class FindingMail(MailReceipt):
    """One editor's mail about one finding: at most once (the constraint; core.mail_once)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="mails")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["finding", "recipient"], name="finding_mailed_once")
        ]

    def __str__(self) -> str:
        return f"{self.finding} to {self.recipient_id}"
