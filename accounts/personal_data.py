"""A reader's own data: export it all, or delete the account.

Apps that store personal data register an exporter and, where the foreign keys alone would
leave something wrong behind, a deleter here (from their AppConfig.ready), so accounts
collects and removes their part without knowing them. Content others replied to keeps its
place with the author set to null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import User


@dataclass(frozen=True)
class DeletionChoice:
    """A question the deletion page asks for an app: a checkbox whose help text says what
    happens either way. A deleter finds the answer under `name` (absent means `initial`)."""

    name: str
    label: str
    help_text: str
    initial: bool = True


Exporter = Callable[[User], dict]
# Runs in the deletion's transaction, before the account row goes, with the page's answers.
Deleter = Callable[[User, Mapping[str, bool]], None]
DeletionOffer = Callable[[User], DeletionChoice | None]
_exporters: list[Exporter] = []
_deleters: list[Deleter] = []
_offers: list[DeletionOffer] = []


def register_exporter(exporter: Exporter) -> Exporter:
    if exporter not in _exporters:
        _exporters.append(exporter)
    return exporter


def register_deleter(deleter: Deleter) -> Deleter:
    if deleter not in _deleters:
        _deleters.append(deleter)
    return deleter


def register_deletion_choice(offer: DeletionOffer) -> DeletionOffer:
    if offer not in _offers:
        _offers.append(offer)
    return offer


def deletion_choices(*, user: User) -> list[DeletionChoice]:
    """What the deletion page asks this reader, app by app."""
    return [choice for offer in _offers if (choice := offer(user)) is not None]


def personal_data_export(*, user: User) -> dict:
    data = {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "expertise": user.expertise,
            "competing_interests": user.competing_interests,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "notify_replies": user.notify_replies,
            "notify_article_comments": user.notify_article_comments,
            "time_zone": user.time_zone,
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user)
        ],
    }
    for exporter in _exporters:
        data.update(exporter(user))
    return data


def account_delete(*, user: User, choices: Mapping[str, bool] | None = None) -> None:
    """Delete the account. Comments stay, anonymised, so threads keep their shape."""
    with transaction.atomic():
        for deleter in _deleters:
            deleter(user, choices or {})
        user.delete()
