"""Cited papers and links, checked weekly: each DOI an article's references give against
Crossref (evidence/crossref.py) for retractions, corrections and expressions of concern, each
web reference for a dead link (evidence/links.py).

A finding is recorded once per article (Finding's unique key), mailed to the editors once each
(FindingMail) by a task the weekly check hands it to, and shown in the admin on the article and in the
site-wide list. A retraction puts the article on the review-due list at once (its next review
becomes today, articles/review_dates.py). Nothing edits an article's text by itself. A check
that cannot be made (Crossref or the site down, timeouts) records "could not be checked" and
concludes nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Reference
from core.links import absolute_url
from core.mail import render_mail
from core.mail_once import mail_each_once
from core.markup import DOI_RE
from core.people import permission_holders
from evidence import crossref, links
from evidence.models import Finding, FindingMail, ReferenceCheck

log = logging.getLogger(__name__)

Outcome = ReferenceCheck.Outcome
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/")


def reference_target(reference: Reference) -> tuple[str, str] | None:
    """("doi", the DOI) or ("url", the address) to check; None for what is checked elsewhere
    (an NCT number: evidence/services.py) or not at all."""
    identifier = reference.identifier.strip()
    if DOI_RE.fullmatch(identifier):
        return "doi", identifier
    url = reference.url.strip()
    for prefix in DOI_PREFIXES:
        if url.lower().startswith(prefix) and DOI_RE.fullmatch(url[len(prefix) :]):
            return "doi", url[len(prefix) :]
    if url.startswith(("https://", "http://")) and "clinicaltrials.gov" not in url:
        return "url", url
    return None


def reference_check(reference: Reference, *, now: datetime | None = None) -> list[Finding]:
    """Check one reference; returns the findings new this time."""
    now = now or timezone.now()
    target = reference_target(reference)
    if target is None:
        return []
    kind, value = target
    found: list[tuple[str, str, date | None]] = []  # (kind, notice, on)
    if kind == "doi":
        try:
            work = crossref.work_fetch(value)
        except crossref.CrossrefError as error:
            return _checked(reference, value, Outcome.UNCHECKED, str(error), now, [])
        found = [(update.kind, update.notice, update.on) for update in work.updates]
    else:
        result = links.link_check(value)
        if not result.checked:
            return _checked(reference, value, Outcome.UNCHECKED, result.detail, now, [])
        if result.dead:
            found = [(Finding.Kind.DEAD_LINK, str(result.status), None)]
    outcome = Outcome.FLAGGED if found else Outcome.OK
    detail = ", ".join(sorted({k for k, _, _ in found}))
    return _checked(reference, value, outcome, detail, now, found)


def _checked(reference, target, outcome, detail, now, found) -> list[Finding]:
    ReferenceCheck.objects.update_or_create(
        reference=reference,
        defaults={"target": target, "outcome": outcome, "detail": detail[:300], "checked_at": now},
    )
    if outcome == Outcome.UNCHECKED:
        log.info("reference %s not checked: %s", reference.pk, detail)
    new = []
    for kind, notice, on in found:
        if finding := finding_record(reference, kind=kind, target=target, notice=notice, on=on):
            new.append(finding)
    return new


def finding_record(reference, *, kind: str, target: str, notice: str, on) -> Finding | None:
    """Record a finding once; a retraction puts the article on the review-due list at once.
    Returns None when it was recorded before."""
    try:
        with transaction.atomic():
            finding = Finding.objects.create(
                article_id=reference.article_id,
                reference=reference,
                kind=kind,
                target=target,
                notice=notice,
                noticed_on=on,
                key=f"{kind}:{target.lower()}:{notice.lower()}"[:600],
            )
            if kind == Finding.Kind.RETRACTION:
                today = timezone.localdate()
                Article.objects.filter(pk=reference.article_id).filter(
                    Q(next_review__isnull=True) | Q(next_review__gt=today)
                ).update(next_review=today)
    except IntegrityError:
        return None
    log.warning("article %s: %s of %s", reference.article_id, kind, target)
    return finding


def findings_unmailed(*, now: datetime | None = None) -> list[int]:
    """Findings of the last two weeks no editor has been mailed about yet: the weekly task
    hands each to a mail task after its check (so a lost task is handed over again)."""
    since = (now or timezone.now()) - timedelta(days=14)
    unmailed = Finding.objects.filter(found_at__gte=since, mails__isnull=True)
    return list(unmailed.order_by("pk").values_list("pk", flat=True))


def editors_of(article: Article):
    """Who hears of a finding: the article's author account and every active editor (given
    change_article), with an address."""
    return permission_holders("articles.change_article", also=Q(pk=article.author_id))


def finding_mail_send(*, finding_id: int) -> int:
    """Tell each editor of the finding once; returns how many mails left now. A deferred copy
    raises MailDeferred after the others (the task retries it alone)."""
    finding = Finding.objects.select_related("article").filter(pk=finding_id).first()
    if finding is None:
        return 0
    context = {
        "finding": finding,
        "article": finding.article,
        "admin_url": absolute_url(
            reverse("admin:articles_article_change", args=[finding.article_id])
        ),
        "list_url": absolute_url(reverse("admin:evidence_finding_changelist")),
    }
    return mail_each_once(
        editors_of(finding.article)
        .exclude(pk__in=finding.mails.values("recipient"))
        .order_by("pk"),
        mail_for=lambda person: render_mail(
            "evidence/email/finding",
            to=person.email,
            context={**context, "name": person.public_name},
        ),
        record=lambda person, **fields: FindingMail.objects.create(
            finding=finding, recipient=person, **fields
        ),
        what="finding mail",
    )


def references_check_due(*, now: datetime | None = None) -> int:
    """Check every reference of a public article not checked for CITATIONS_CHECK_DAYS, one
    request at a time; returns how many were checked."""
    now = now or timezone.now()
    stale = now - timedelta(days=settings.CITATIONS_CHECK_DAYS)
    due = (
        Reference.objects.filter(article__in=Article.objects.published())
        .filter(Q(citation_check__isnull=True) | Q(citation_check__checked_at__lt=stale))
        .order_by("pk")
    )
    checked = 0
    for reference in due.iterator():
        if reference_target(reference) is None:
            continue
        if checked:
            time.sleep(settings.CITATIONS_REQUEST_PAUSE_SECONDS)
        reference_check(reference, now=now)
        checked += 1
    return checked
