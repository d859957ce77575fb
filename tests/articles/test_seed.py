import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from articles import demo_content
from articles.models import Article, FAQEntry, Reference, Topic

pytestmark = pytest.mark.django_db

FOUNDING = "fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma"


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Topic, Article, FAQEntry, Reference)
    }


def test_seed_loads_the_founding_article_and_is_idempotent(staff_groups, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    first = counts()
    call_command("seed_demo", "--quiet-logins")
    assert counts() == first
    assert first["Article"] == len(demo_content.ARTICLES) >= 6

    founding = Article.objects.published().get(slug=FOUNDING)
    assert founding.faqs.count() == 3
    assert founding.discussion_prompt
    assert founding.last_reviewed
    assert {ref.kind for ref in founding.references.all()} >= {"fda_label", "trial_registry"}
    assert "/articles/the-future-of-genomic-profiling/" in founding.body_html
    assert Article.objects.published().filter(slug="the-future-of-genomic-profiling").exists()


def test_seed_prints_working_staff_logins_kept_out_of_git(staff_groups, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    out = capsys.readouterr().out
    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    assert logins["editor"] in out
    editor = authenticate(email="editor@driverline.test", password=logins["editor"])
    assert editor is not None
    assert editor.is_staff
    assert editor.has_perm("articles.publish_article")
    # A second run prints the same password, and it still works.
    call_command("seed_demo")
    assert logins["editor"] in capsys.readouterr().out


def test_every_demo_article_has_sources_and_a_review_date():
    slugs = {topic["slug"] for topic in demo_content.TOPICS}
    for article in demo_content.ARTICLES:
        assert article["references"], article["slug"]
        assert article["last_reviewed"], article["slug"]
        assert set(article["topics"]) <= slugs, article["slug"]
        assert all(ref["url"].startswith("https://") for ref in article["references"])
