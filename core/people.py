"""Who holds a permission: the one answer to "which staff do we write to" (the moderators'
digest, reviewers of a submission, the week's reviews due, editors told of a trial's change or
a finding in a cited paper)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet


def permission_holders(
    *permissions: str, superusers: bool = False, also: Q | None = None
) -> QuerySet:
    """Active people with an address who hold any of `permissions` ("app_label.codename"),
    by a group or given to themselves, each once. Superusers hold every permission but are
    written to only with `superusers=True` or when given one; `also` adds people by another
    rule (an article's author), under the same active-with-an-address condition."""
    wanted = Q(pk__in=[])
    for permission in permissions:
        app_label, _, codename = permission.partition(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    granted = Permission.objects.filter(wanted)
    holders = Q(groups__permissions__in=granted) | Q(user_permissions__in=granted)
    if superusers:
        holders |= Q(is_superuser=True)
    if also is not None:
        holders |= also
    return (
        get_user_model().objects.filter(is_active=True).exclude(email="").filter(holders).distinct()
    )
