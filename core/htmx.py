"""htmx and signing in."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect


class HtmxSignInMiddleware:
    """An htmx request that must sign in first (the session expired while the reader wrote,
    say) goes to the sign-in page as a whole page, coming back to the page the reader was on,
    rather than having the sign-in page swapped into a fragment of it. Without this, htmx
    follows the redirect and shows a second site header inside the discussion."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.htmx or response.status_code not in (301, 302, 303, 307):
            return response
        sign_in = resolve_url(settings.LOGIN_URL)
        if urlsplit(response["Location"]).path != sign_in:
            return response
        back_to = request.htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(f"{sign_in}?{urlencode({'next': back_to})}")
