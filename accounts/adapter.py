"""allauth, adapted: account mail is rendered in the request and sent by Celery after commit."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail.message import EmailAlternative
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from core.links import absolute_url, mail_context
from core.mail import ACCOUNT_SECURITY_HEADER, email_queue, inline_css
from core.suppression import REQUESTED_HEADER


def _on_site(url: str) -> str:
    """The same page on SITE_URL, whatever host allauth built the link with."""
    parts = urlsplit(url)
    return absolute_url(urlunsplit(("", "", parts.path, parts.query, parts.fragment)))


# allauth's mail that answers the holder's own request: a password reset (for a known address or
# not), a sign-up or address verification, a sign-in code.
REQUESTED_BY_HOLDER = frozenset(
    {
        "password_reset_key", "password_reset_code", "unknown_account", "account_already_exists",
        "email_confirmation_signup", "email_confirmation", "login_code",
    }
)  # fmt: skip


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth builds links (and the site's name) from the request's Host header.
        context = {
            key: _on_site(value) if key.endswith("_url") and value else value
            for key, value in context.items()
        }
        site = SimpleNamespace(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)
        context = {
            **mail_context(),
            # For "if it was not you" in notices, and the life of a confirmation link.
            "reset_page_url": absolute_url(reverse("account_reset_password")),
            "expiry_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
            **context,
            "current_site": site,
        }
        # Everything allauth sends is about an account's access: links that verify, reset or
        # change it, and notices of such changes. What the holder asked for goes out even to
        # a suppressed address (core.suppression); notices do not.
        headers = {ACCOUNT_SECURITY_HEADER: "yes"}
        if template_prefix.removeprefix("account/email/") in REQUESTED_BY_HOLDER:
            headers[REQUESTED_HEADER] = "yes"
        email_queue(self.render_mail(template_prefix, email, context, headers=headers))

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's two parts from our templates, the HTML styled like the rest of our mail."""
        message = super().render_mail(template_prefix, email, context, headers=headers)
        message.alternatives = [
            EmailAlternative(inline_css(content) if mimetype == "text/html" else content, mimetype)
            for content, mimetype in getattr(message, "alternatives", [])
        ]
        return message

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            # allauth shows the failed-login limit as a form error (200); answer it as a limit.
            if error.code == "too_many_login_attempts":
                raise ImmediateHttpResponse(respond_429(request)) from error
            raise

    def respond_email_verification_sent(self, request, user):
        if user is None:
            # No account was made (a known address, or the honeypot): hash the password anyway,
            # so the answer costs what a real sign-up costs and timing cannot tell them apart.
            make_password(request.POST.get("password1", ""))
        return super().respond_email_verification_sent(request, user)

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """The confirmation link carries the page the reader signed up from.

        In the browser that signed up, allauth signs the reader in on confirming and follows
        the sign-up's own `next`; in any other browser the link's `next` asks them to sign in
        and then takes them back to that page (an article's comment form, say).
        """
        url = super().get_email_confirmation_url(request, emailconfirmation)
        target = _local_next(request)
        if not target:
            return url
        sign_in = f"{reverse('account_login')}?{urlencode({'next': target})}"
        return f"{url}?{urlencode({'next': sign_in})}"


def _local_next(request) -> str:
    """The request's `next`, if it names a page of this site."""
    if request is None:
        return ""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
