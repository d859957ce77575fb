import pytest
from django.core.management import call_command

from articles.demo import DemoDataError
from newsletter import emails, selectors
from newsletter.management.commands.seed_newsletter import load_edition, load_subscribers
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


def test_the_demo_newsletter_files_parse():
    assert len(load_subscribers()) == 4
    edition = load_edition()
    assert edition.subject.startswith("Welcome to Driverline")
    assert edition.intro.startswith("Thank you for reading.")


def test_a_malformed_subscribers_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "subscribers.toml"
    path.write_text('[[subscriber]]\nemail = "a@example.org"\nfrequency = "daily"\n')
    with pytest.raises(DemoDataError, match=r"subscribers\.toml: \[\[subscriber\]\] 1: frequency"):
        load_subscribers(path)
