"""`manage.py mailcheck`: will mailbox providers trust our mail? The checks are
core.deliverability's; this prints them and sets the exit status (README, "Sending at scale")."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.deliverability import Status, mail_findings
from core.dnsclient import TxtLookup

# 0: every check passed (warnings allowed); 1: a check failed; 2: none failed, but some could
# not be made (DNS gave no answer).
FAILED, UNCHECKED = 1, 2


class Command(BaseCommand):
    help = (
        "Check SPF, DKIM and DMARC for the From domains of list and account mail, that "
        "SITE_URL is https and that the two kinds of mail use different senders. Exit status "
        "1 when a check fails, 2 when DNS could not be reached."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--nameserver",
            help="the DNS server to ask (IP address, :port if not 53); default "
            "MAILCHECK_NAMESERVER, or the system's resolvers",
        )

    def handle(self, *args, nameserver: str | None = None, **options):
        lookup = TxtLookup(nameserver=nameserver)
        findings = mail_findings(lookup=lookup)
        self.stdout.write(f"Mail deliverability (DNS from {lookup.describe()})")
        self.stdout.write(f"  list mail     {settings.NEWSLETTER_FROM_EMAIL}")
        self.stdout.write(f"  account mail  {settings.DEFAULT_FROM_EMAIL}\n\n")
        style = {
            Status.OK: self.style.SUCCESS,
            Status.WARN: self.style.WARNING,
            Status.FAIL: self.style.ERROR,
            Status.UNKNOWN: self.style.NOTICE,
        }
        width = max(len(finding.subject) for finding in findings)
        for finding in findings:
            label = style[finding.status](f"{finding.status.value:<7}")
            self.stdout.write(
                f"  {label} {finding.check:<9} {finding.subject:<{width}}  {finding.detail}"
            )
        counts = Counter(finding.status for finding in findings)
        summary = (
            f"{counts[Status.OK]} OK, {counts[Status.WARN]} warning(s), "
            f"{counts[Status.FAIL]} failed, {counts[Status.UNKNOWN]} could not be checked."
        )
        self.stdout.write("")
        if counts[Status.FAIL]:
            raise CommandError(f"Mail check failed: {summary}", returncode=FAILED)
        if counts[Status.UNKNOWN]:
            raise CommandError(f"Mail check incomplete: {summary}", returncode=UNCHECKED)
        self.stdout.write(self.style.SUCCESS(f"Mail check passed: {summary}"))
