"""Editions and readers as the newsletter tests set them up, and what they check in every
list mail that the SMTP server receives."""

import uuid
from collections import Counter

from newsletter import ledger
from newsletter.models import Delivery, Edition, Subscriber
from tests.factories import ArticleFactory


def subscribers(count: int, **fields) -> list[Subscriber]:
    return Subscriber.objects.bulk_create(
        Subscriber(email=f"s{n}@example.org", status="active", **fields) for n in range(count)
    )


def edition(**fields) -> Edition:
    edition = Edition.objects.create(subject="This week in precision oncology", intro="*Hello*")
    edition.featured.add(ArticleFactory(title="Basket trials explained"))
    return edition


def state(mailing: Edition) -> Edition:
    """The edition as the database holds it now."""
    return Edition.objects.get(pk=mailing.pk)


def sending(mailing: Edition) -> Edition:
    """The edition as services.edition_send leaves it, without queuing tasks: rows created, sending."""
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    return mailing


def received_per_recipient(smtp_server) -> Counter:
    """Messages per subscriber. Other addresses are left out: a mail queued by an earlier test
    (an account or comment notice) can still reach this test's SMTP port from the worker."""
    subscribers = set(Subscriber.objects.values_list("email", flat=True))
    return Counter(
        rcpt
        for envelope in smtp_server.envelopes
        for rcpt in envelope.rcpt_tos
        if rcpt in subscribers
    )


def assert_list_mail(message, settings) -> None:
    """What every newsletter mail carries, whatever its kind, as the SMTP server got it."""
    assert message["From"] == settings.NEWSLETTER_FROM_EMAIL
    # Long headers are folded onto a continuation line; the fold is not part of the value.
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<http://testserver/newsletter/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "newsletter.testserver" in message["List-Id"]
    assert message["Message-ID"].startswith("<edition-")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert unsubscribe[1:-1] in text  # the same link, visible in the body
    assert "/newsletter/preferences/" in text
    assert "/newsletter/preferences/" in html
    assert 'style="' in html


def sent_to(email: str, *, status: str = Delivery.Status.SENT, user=None) -> Delivery:
    """A Delivery the engine sent through a provider, which gave it a message id."""
    reader, _ = Subscriber.objects.get_or_create(
        email=email, defaults={"status": "active", "user": user}
    )
    mailing = Edition.objects.create(subject="Week 49", status=Edition.Status.SENT)
    return Delivery.objects.create(
        edition=mailing,
        subscriber=reader,
        status=status,
        message_id=f"<edition-{mailing.pk}.{reader.pk}@testserver>",
        provider_message_id=str(uuid.uuid4()),
    )
