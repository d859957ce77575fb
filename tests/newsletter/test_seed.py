import pytest
from django.core.management import call_command

from newsletter import emails, selectors
from newsletter.models import Edition, Subscriber

pytestmark = pytest.mark.django_db


def test_the_demo_newsletter_loads_once_and_is_ready_to_send(staff_groups, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_newsletter")
    call_command("seed_newsletter")  # idempotent
    assert Subscriber.objects.filter(status="active", consent_source="demo").count() == 4
    edition = Edition.objects.get(kind="edition")
    assert edition.status == Edition.Status.DRAFT
    assert edition.featured.count() == 1
    assert selectors.audience(edition).count() == 4
    preview = emails.render_preview(edition)
    assert "NRG1" in preview.text
    assert "<strong>NRG1 gene" in preview.html
