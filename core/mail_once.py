"""Mail that goes to each person once: the moderators' digest, the week's reviews due, a
trial's change to its articles' editors and to its followers, a finding in a cited paper.

Each copy is its own send with its own receipt (a core.models.MailReceipt), written in the
transaction that sends it:
- sent: the receipt says so, and the unique constraint refuses a second copy, whoever asks;
- suppressed (core.suppression): the receipt says so, and nothing left;
- refused for good by the recipient's server: the receipt says so, and it is never tried again;
- deferred: no receipt, so a retry reaches that person and nobody else. `mail_each_once`
  raises MailDeferred once the others have gone, for the task to retry.
A refusal of our sender or our message is raised at once: every copy would be refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from core.mail import Fault, MailDeferred, MailRefused, deliver
from core.models import MailReceipt

logger = logging.getLogger(__name__)


def send_once(mail: EmailMessage, *, record: Callable[..., MailReceipt], who: str):
    """Send one copy with its receipt, made by `record(**fields)` (it raises IntegrityError
    when the receipt exists; fields are an outcome and a detail when the copy was refused).
    True when it left; False when it did not and will not (suppressed, refused, or another
    worker's copy); a MailDeferred to try again later. `who` names the copy in the log (a
    user id, never an address)."""
    try:
        with transaction.atomic():
            receipt = record()
            if not deliver(mail):
                receipt.outcome = MailReceipt.Outcome.SUPPRESSED
                receipt.save(update_fields=["outcome"])
                return False
    except IntegrityError:
        return False  # another worker has this copy
    except MailDeferred as error:
        return error
    except MailRefused as error:
        if error.fault is not Fault.RECIPIENT_REFUSED:
            raise  # our sender or our message: every copy would be refused
        logger.warning("%s refused: %s", who, error)
        try:
            with transaction.atomic():
                record(outcome=MailReceipt.Outcome.REFUSED, detail=str(error)[:300])
        except IntegrityError:
            pass  # another worker recorded it first
        return False
    return True


def mail_each_once(
    people: Iterable,
    *,
    mail_for: Callable[[Any], EmailMessage],
    record: Callable[..., Any],
    what: str,
) -> int:
    """Send each of `people` (users) their copy, `mail_for(person)`, with the receipt
    `record(person, **fields)` makes (see send_once); returns how many left now, and raises
    MailDeferred after the others when any copy was deferred."""
    sent, deferred = 0, []
    for person in people:
        outcome = send_once(
            mail_for(person), record=partial(record, person), who=f"{what} to user {person.pk}"
        )
        if isinstance(outcome, MailDeferred):
            deferred.append(str(outcome))
        elif outcome:
            sent += 1
    if deferred:
        raise MailDeferred(f"{len(deferred)} {what}(s) deferred: {deferred[0]}")
    return sent
