import pytest
from django.core.management import call_command

from articles.models import Article
from comments import demo_content
from comments.models import Comment

pytestmark = pytest.mark.django_db


def test_the_demo_discussion_loads_once_and_answers_the_prompt(staff_groups, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_discussion")
    call_command("seed_discussion")  # idempotent
    article = Article.objects.get(slug=demo_content.ARTICLE_SLUG)
    comments = Comment.objects.filter(article=article)
    assert comments.count() == len(demo_content.COMMENTS) == 12
    assert comments.filter(status="pending").count() == 1
    assert comments.filter(status="rejected").count() == 1
    assert comments.filter(depth=2).exists()  # nested three levels
    assert len({c.path for c in comments}) == 12
    assert all(c.created_at > article.published_at for c in comments)
    roles = set(comments.values_list("author__role", flat=True))
    assert {"patient", "carer", "clinician", "researcher", "industry"} <= roles


def test_the_demo_discussion_reads_well_on_the_page(client, staff_groups, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_discussion")
    page = client.get(f"/articles/{demo_content.ARTICLE_SLUG}/").content.decode()
    assert "10 comments" in page
    assert "Competing interests:" in page
    assert "miracle cure" not in page  # rejected
    assert "Should I take zenocutuzumab" not in page  # waiting, and not the reader's own
