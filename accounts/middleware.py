from __future__ import annotations

import zoneinfo

from django.utils import timezone


class StaffTimeZoneMiddleware:
    """Editors enter and read times in their own zone; everyone else sees the site's zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()  # a zone the host's tz database no longer has
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
