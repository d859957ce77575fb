"""Readers following a trial from its card, and their mail when it changes.

Following works as the newsletter does: a signed-in reader with a verified address follows in
one click (the verification proved the address); anyone else, or an unverified account, gets
a confirmation mail with a signed link that expires (NEWSLETTER_CONFIRM_DAYS), and the answer
to the form never says whether the address was known. Every follower's mail carries the
newsletter's list headers; its one-click unsubscribe stops that one follow.

The newsletter learns of changes by itself (beat runs `trial_change_mail_send`, as it does the
new-article alerts), so evidence knows nothing of followers. Each mail is one ledger row
(TrialFollowNotice, unique per change and follow) written in the transaction that sends it:
a second run, or two at the same moment, mails nobody twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.links import absolute_url
from core.mail import MailDeferred, email_queue, render_mail
from core.mail_once import send_once
from core.suppression import suppression_reasons
from evidence.models import Trial, TrialChange
from evidence.selectors import articles_citing
from newsletter.emails import trial_change_message
from newsletter.models import TrialFollow, TrialFollowNotice
from newsletter.tokens import LinkKind, follow_links, follow_token

logger = logging.getLogger(__name__)

# Changes recorded this recently are mailed to their followers; older ones never are.
CHANGE_MAIL_WINDOW = timedelta(days=2)


def trial_follow_request(
    *, trial: Trial, email: str, user=None, source: str = "card", return_path: str = ""
) -> TrialFollow:
    """Ask to follow a trial. The address gets a confirmation (or, when it follows already, a
    note with its unfollow link); the caller learns nothing of which."""
    email = email.strip().lower()
    with transaction.atomic():
        follow, _ = TrialFollow.objects.select_for_update().get_or_create(
            trial=trial, email=email, defaults={"user": user, "source": source}
        )
        context = {"trial": trial, "follow": follow}
        if follow.status == TrialFollow.Status.ACTIVE:
            email_queue(
                render_mail(
                    "newsletter/email/trial_follow_already",
                    to=email,
                    context={**context, **follow_links(follow)},
                )
            )
            return follow
        if suppression_reasons([email]):
            return follow  # no mail from a form anyone can fill in; the same answer
        follow.status = TrialFollow.Status.PENDING
        follow.source = source
        follow.requested_at = timezone.now()
        follow.user = follow.user or user
        follow.save()
        token = follow_token(follow=follow, kind=LinkKind.FOLLOW_CONFIRM)
        confirm_url = absolute_url(reverse("trial_follow_confirm", args=[token]))
        if return_path:
            confirm_url += f"?{urlencode({'next': return_path})}"
        email_queue(
            render_mail(
                "newsletter/email/trial_follow_confirm",
                to=email,
                context={
                    **context,
                    "confirm_url": confirm_url,
                    "expiry_days": settings.NEWSLETTER_CONFIRM_DAYS,
                },
            )
        )
    return follow


def trial_follow_confirm(*, follow: TrialFollow) -> TrialFollow:
    """Double opt-in, second step: a pending follow becomes active. Idempotent; a follow its
    reader stopped since stays stopped (an old link starts nothing again)."""
    TrialFollow.objects.filter(pk=follow.pk, status=TrialFollow.Status.PENDING).update(
        status=TrialFollow.Status.ACTIVE, confirmed_at=timezone.now(), unfollowed_at=None
    )
    follow.refresh_from_db()
    return follow


def trial_follow_from_account(*, trial: Trial, user, return_path: str = "") -> TrialFollow:
    """A signed-in reader follows in one click when their address is verified; otherwise it
    is asked to confirm like any other address."""
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    if not verified:
        return trial_follow_request(
            trial=trial, email=user.email, user=user, source="account", return_path=return_path
        )
    now = timezone.now()
    with transaction.atomic():
        follow, _ = TrialFollow.objects.select_for_update().get_or_create(
            trial=trial, email=user.email.lower(), defaults={"user": user, "source": "account"}
        )
        if follow.status != TrialFollow.Status.ACTIVE:
            follow.status, follow.source = TrialFollow.Status.ACTIVE, "account"
            follow.requested_at = follow.confirmed_at = now
            follow.unfollowed_at = None
        follow.user = user
        follow.save()
    return follow


def trial_unfollow(*, follow: TrialFollow) -> None:
    """Stop following at once; twice is harmless."""
    TrialFollow.objects.filter(pk=follow.pk).exclude(status=TrialFollow.Status.UNFOLLOWED).update(
        status=TrialFollow.Status.UNFOLLOWED, unfollowed_at=timezone.now()
    )


def trial_unfollow_by_user(*, trial: Trial, user) -> int:
    """The signed-in reader stops following the trial: only their own follows (by account, or
    at the address the account has now). Returns how many stopped."""
    return (
        follows_of_user(user)
        .filter(trial=trial)
        .exclude(status=TrialFollow.Status.UNFOLLOWED)
        .update(status=TrialFollow.Status.UNFOLLOWED, unfollowed_at=timezone.now())
    )


def follows_of_user(user) -> QuerySet[TrialFollow]:
    """The reader's follows: by their account, or at the address the account has now."""
    return TrialFollow.objects.filter(Q(user=user) | Q(email=user.email.lower()))


def trial_change_mail_send(*, since: timedelta = CHANGE_MAIL_WINDOW) -> int:
    """Beat: each recent change to each of its trial's followers (who followed before it was
    recorded), once; returns how many mails left now. A refused address is recorded and never
    tried again; a deferred one raises MailDeferred after the others, for a retry."""
    recent = TrialChange.objects.filter(recorded_at__gte=timezone.now() - since)
    sent, deferred = 0, []
    for change in recent.select_related("trial").order_by("pk"):
        followers = list(
            TrialFollow.objects.filter(
                trial_id=change.trial_id,
                status=TrialFollow.Status.ACTIVE,
                confirmed_at__lte=change.recorded_at,
            )
            .exclude(pk__in=TrialFollowNotice.objects.filter(change=change).values("follow_id"))
            .order_by("pk")
        )
        if not followers:
            continue
        articles = articles_citing(change.trial.nct_id)
        for follow in followers:
            outcome = _mail_follower(change, follow, articles)
            if isinstance(outcome, MailDeferred):
                deferred.append(str(outcome))
            elif outcome:
                sent += 1
    if deferred:
        raise MailDeferred(f"{len(deferred)} trial follower mail(s) deferred: {deferred[0]}")
    return sent


def _mail_follower(change: TrialChange, follow: TrialFollow, articles: list):
    """True when sent; False when skipped or recorded; a MailDeferred to retry later."""
    message = trial_change_message(change=change, follow=follow, articles=articles)
    return send_once(
        message,
        record=lambda **fields: TrialFollowNotice.objects.create(
            change=change, follow=follow, **fields
        ),
        who=f"trial change mail to follow {follow.pk}",
    )
