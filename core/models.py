from __future__ import annotations

from django.conf import settings
from django.db import models


class Suppression(models.Model):
    """An address no mail of ours goes to (core.suppression): it bounced, its reader called
    our mail spam, it kept failing, or staff said so. Lifting keeps the row, with who lifted it
    and why; the address may then be suppressed again, in a new row."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", "Hard bounce"
        COMPLAINED = "complained", "Spam complaint"
        SUSPENDED = "suspended", "Soft bounces, repeatedly"
        MANUAL = "manual", "Added by staff"

    email = models.EmailField()  # lower case, as the services store it
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True, help_text="What said so.")
    created_at = models.DateTimeField(auto_now_add=True)
    skipped = models.PositiveIntegerField(default=0, help_text="Messages not sent because of it.")
    last_skipped_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_suppression_per_address",
            )
        ]
        permissions = [("lift_suppression", "Can lift a suppression")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class MailReceipt(models.Model):
    """One person's copy of one mail that goes to each person once (core.mail_once): written
    in the transaction that sends it, so a second task, or a second worker at the same moment,
    meets the subclass's unique constraint and sends nothing. A copy the mail server deferred
    has no row, so a retry tries that person again and nobody else."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        REFUSED = "refused", "Refused by the mail server"
        SUPPRESSED = "suppressed", "Not sent: the address is suppressed"

    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENT)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True
