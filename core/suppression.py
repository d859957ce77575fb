"""One suppression list for all mail (core.models.Suppression): newsletter editions, alerts
and digests, comment and review notices, and account mail except what the account holder
asks for themselves (password reset, verification: marked REQUESTED_HEADER). A suppressed
address is skipped, and the skip counted on its suppression; it is never sent to. Staff lift
a suppression with a reason, which is kept."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from core.models import Suppression

# Mail the account holder asked for themselves (a password reset, a verification): it goes
# out even to a suppressed address, which is how its owner gets back in.
REQUESTED_HEADER = "X-Driverline-Requested"


def suppressions_active() -> QuerySet[Suppression]:
    return Suppression.objects.filter(lifted_at__isnull=True)


def suppressed_addresses() -> QuerySet:
    """The suppressed addresses (lower case), as a subquery for an audience to exclude."""
    return suppressions_active().values("email")


def suppression_reasons(emails: Iterable[str]) -> dict[str, str]:
    """The suppressed ones among `emails` (lower-cased), with why."""
    wanted = {email.strip().lower() for email in emails}
    return dict(suppressions_active().filter(email__in=wanted).values_list("email", "reason"))


def suppression_add(*, email: str, reason: str, detail: str = "") -> bool:
    """Suppress an address; True when it was not suppressed already (the first reason stays:
    one active suppression per address, held by the database)."""
    email = email.strip().lower()
    if not email or suppressions_active().filter(email=email).exists():
        return False
    try:
        with transaction.atomic():
            Suppression.objects.create(email=email, reason=reason, detail=detail[:300])
    except IntegrityError:
        return False  # suppressed meanwhile by another event
    return True


def suppression_skips_record(emails: Iterable[str]) -> None:
    """Count messages not sent to these addresses because they are suppressed."""
    wanted = {email.strip().lower() for email in emails}
    suppressions_active().filter(email__in=wanted).update(
        skipped=F("skipped") + 1, last_skipped_at=timezone.now()
    )


def suppression_lift(*, suppression: Suppression, by, reason: str) -> bool:
    """Mail may go to the address again. Only staff allowed to lift suppressions may, and
    only with a reason, which is kept with who lifted it; False if it was lifted already."""
    if not by.has_perm("core.lift_suppression"):
        raise PermissionDenied
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("A reason is required to lift a suppression.")
    return bool(
        Suppression.objects.filter(pk=suppression.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=by, lift_reason=reason[:300]
        )
    )
