"""Headers of our mail as the SMTP server receives them: a real Date offset, and long
subjects folded after their first words, not onto an empty first line."""

import re

import pytest

from newsletter import delivery, ledger
from newsletter.models import Edition, Subscriber
from tests.conftest import raw_header
from tests.factories import ArticleFactory, UserFactory

LONG_SUBJECT = (
    "Zenocutuzumab’s approval: what the “National Priority Voucher” means for "
    "ultra-rare cancers, and for the patients and carers who live with them"
)


def assert_well_formed(envelope, message, subject: str) -> None:
    first = raw_header(envelope.content, "Subject")[0]
    assert first.removeprefix("Subject:").strip(), raw_header(envelope.content, "Subject")
    assert message["Subject"] == subject
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000", message["Date"])


@pytest.mark.django_db
def test_a_long_edition_subject_folds_after_its_first_words_and_the_date_has_an_offset(
    smtp_server,
):
    Subscriber.objects.create(email="reader@example.org", status="active")
    mailing = Edition.objects.create(subject=LONG_SUBJECT, intro="Hello")
    mailing.featured.add(ArticleFactory())
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    delivery.send_batch(edition_id=mailing.pk)
    message = smtp_server.wait_for_message("reader@example.org")
    assert_well_formed(smtp_server.envelopes[-1], message, LONG_SUBJECT)
    # The link is one long token: written as it is, never as an encoded word a client
    # would not read as a link.
    unsubscribe = "".join(raw_header(smtp_server.envelopes[-1].content, "List-Unsubscribe"))
    assert "=?" not in unsubscribe
    assert message["List-Unsubscribe"].strip().startswith("<http://testserver/newsletter/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.django_db(transaction=True)
def test_a_long_account_mail_subject_folds_after_its_first_words_and_the_date_has_an_offset(
    client, settings, smtp_server, celery_worker
):
    prefix = "[Driverline · précision oncologie, la communauté des lecteurs et cliniciens] "
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = prefix
    UserFactory(email="known@example.org")
    client.post("/accounts/password/reset/", {"email": "known@example.org"})
    message = smtp_server.wait_for_message("known@example.org")
    envelope = next(e for e in smtp_server.envelopes if "known@example.org" in e.rcpt_tos)
    assert message["Subject"].startswith(prefix)
    assert_well_formed(envelope, message, message["Subject"])
