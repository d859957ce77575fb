"""The editors' mail about a trial's change: one copy per change and person, ever.

Who: the author account of each public article that cites the trial. An article without one
(an editors' byline, or an author who left or has no address) falls to the desk: every active
user who may change articles. Mailing the whole desk for every trial of every article would be
noise; the author answers for the article, and nobody is left out when there is none.
"""

from __future__ import annotations

import logging

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from core.links import absolute_url
from core.mail import render_mail
from core.mail_once import mail_each_once
from core.people import permission_holders
from evidence import selectors
from evidence.models import TrialChange, TrialChangeNotice

log = logging.getLogger(__name__)


def desk_editors() -> QuerySet:
    """Active users with an address who may change articles (by a group or given them)."""
    return permission_holders("articles.change_article")


def _answers(user) -> bool:
    return user is not None and user.is_active and bool(user.email)


def change_recipients(articles: list[Article]) -> list:
    """The people told of a change to a trial these articles cite, each once, by pk."""
    people = {article.author.pk: article.author for article in articles if _answers(article.author)}
    if any(not _answers(article.author) for article in articles):
        people.update({user.pk: user for user in desk_editors()})
    return [people[pk] for pk in sorted(people)]


def change_context(change: TrialChange, articles: list[Article]) -> dict:
    trial = change.trial
    return {
        "trial": trial,
        "change": change,
        "articles": [
            {
                "title": article.title,
                "url": absolute_url(article.get_absolute_url()),
                "admin_url": absolute_url(
                    reverse("admin:articles_article_change", args=[article.pk])
                ),
                "author_id": article.author_id,
            }
            for article in articles
        ],
        "trial_admin_url": absolute_url(reverse("admin:evidence_trial_change", args=[trial.pk])),
    }


def trial_change_editors_notify(*, change_id: int) -> int:
    """Mail the editors of the articles citing the change's trial; returns how many left now.

    Each copy is its own send with its own ledger row, written in the transaction that sends
    it: a second task, or a second worker at the same moment, meets the unique constraint and
    sends nothing. A refused address is recorded and never tried again; a deferred one raises
    MailDeferred after the others have gone, and the retry reaches only those still missing.
    """
    change = TrialChange.objects.select_related("trial").filter(pk=change_id).first()
    if change is None:
        return 0
    articles = selectors.articles_citing(change.trial.nct_id)
    context = change_context(change, articles)
    done = set(TrialChangeNotice.objects.filter(change=change).values_list("recipient", flat=True))
    sent = mail_each_once(
        [person for person in change_recipients(articles) if person.pk not in done],
        mail_for=lambda person: render_mail(
            "evidence/email/trial_change",
            to=person.email,
            context={**context, "name": person.public_name, "recipient_id": person.pk},
        ),
        record=lambda person, **fields: TrialChangeNotice.objects.create(
            change=change, recipient=person, **fields
        ),
        what="trial change mail",
    )
    TrialChange.objects.filter(pk=change.pk, editors_notified_at__isnull=True).update(
        editors_notified_at=timezone.now()
    )
    return sent


def changes_awaiting_editors() -> list[int]:
    """Changes whose editors' mail has not finished (its task lost, or still retrying)."""
    return list(
        TrialChange.objects.filter(editors_notified_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
