"""allauth, adapted: account mail is rendered in the request and sent by Celery after commit."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from accounts.emails import email_queue


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
        email_queue(self.render_mail(template_prefix, email, context))
