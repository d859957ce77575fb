"""System checks (`manage.py check`, also run by migrate and runserver) for mail settings
that would otherwise show up only in a receiver's verdict. Nothing here asks the network:
`manage.py mailcheck` does that."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from core.dkim_signing import address_domain, domains_related, private_key_load

SIGNING_BACKEND = "core.mail.SigningSmtpBackend"


@register(Tags.compatibility)
def dkim_settings_check(app_configs=None, **kwargs) -> list:
    """The settings load the key once (a bad one stops startup); this reads the values in
    force, so a key changed since, or set by hand, is held to the same rules."""
    try:
        key = private_key_load(
            selector=settings.DKIM_SELECTOR,
            domain=settings.DKIM_DOMAIN,
            pem=settings.DKIM_PRIVATE_KEY,
        )
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="Fix or remove the DKIM settings.", id="core.E001")]
    if not key:
        return []
    found = []
    if settings.EMAIL_BACKEND != SIGNING_BACKEND:
        found.append(
            Warning(
                f"A DKIM key is configured but mail goes through {settings.EMAIL_BACKEND}, "
                "which does not sign.",
                hint=f"Send over SMTP (EMAIL_URL), which uses {SIGNING_BACKEND}.",
                id="core.W001",
            )
        )
    if settings.DKIM_DOMAIN:
        for setting in ("NEWSLETTER_FROM_EMAIL", "DEFAULT_FROM_EMAIL"):
            domain = address_domain(getattr(settings, setting))
            if not domains_related(domain, settings.DKIM_DOMAIN):
                found.append(
                    Warning(
                        f"DKIM_DOMAIN {settings.DKIM_DOMAIN} is neither {domain} (the domain "
                        f"of {setting}) nor a parent or subdomain of it: DMARC will not count "
                        "the signature.",
                        hint="Leave DKIM_DOMAIN empty to sign with each message's From domain.",
                        id="core.W002",
                    )
                )
    return found
