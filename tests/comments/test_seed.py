import pytest
from django.core.management import CommandError, call_command

from articles.demo import FOUNDING_ARTICLE_SLUG, DemoDataError
from articles.models import Article
from comments import demo
from comments.demo import load_discussion
from comments.models import Comment

pytestmark = pytest.mark.django_db


def test_the_demo_discussion_loads_once_and_answers_the_prompt(staff_groups, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_discussion")
    call_command("seed_discussion")  # idempotent
    article = Article.objects.get(slug=FOUNDING_ARTICLE_SLUG)
    comments = Comment.objects.filter(article=article)
    assert comments.count() == len(load_discussion().comments) == 12
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
    page = client.get(f"/articles/{FOUNDING_ARTICLE_SLUG}/").content.decode()
    assert "10 comments" in page
    assert "Competing interests:" in page
    assert "miracle cure" not in page  # rejected
    assert "Should I take zenocutuzumab" not in page  # waiting, and not the reader's own


def test_the_demo_discussion_file_keeps_its_markdown_as_written():
    discussion = load_discussion()
    by_key = {comment.key: comment for comment in discussion.comments}
    assert by_key["c3"].parent == "c2"
    assert by_key["c1"].parent is None
    assert "I would like to see:\n\n- confirmatory data" in by_key["c4"].body
    assert by_key["c11"].advice
    assert by_key["c11"].helpful == 0


READER = '[[reader]]\nemail = "a@example.org"\ndisplay_name = "A"\nrole = "patient"\n'
COMMENT = """
[[comment]]
key = "c1"
author = "a@example.org"
status = "approved"
minutes = 5
body = "Hi."
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (READER + COMMENT + 'parent = "c0"\n', "[[comment]] 1 ('c1'): parent 'c0' is not the key"),
        (READER + COMMENT.replace('"a@', '"b@'), "author 'b@example.org' is not a [[reader]]"),
        (READER + COMMENT + COMMENT, "[[comment]] 2 ('c1'): key 'c1' is used twice"),
        (READER + COMMENT.replace("minutes = 5", 'minutes = "5"'), "'minutes' must be an integer"),
        (READER + COMMENT.replace("approved", "spam"), "status must be one of approved, pending"),
        (READER.replace("patient", "nurse") + COMMENT, "[[reader]] 1: role: Value 'nurse'"),
        (READER + COMMENT + "helpful = -1\n", "helpful_count: Ensure this value is greater"),
        (READER + COMMENT.replace('"Hi."', '"Hi.'), "is not valid TOML"),
        (READER, "has no [[comment]] tables"),
    ],
)
def test_a_malformed_discussion_file_is_refused_naming_the_file_and_the_problem(
    tmp_path, text, problem
):
    path = tmp_path / "discussion.toml"
    path.write_text(text)
    with pytest.raises(DemoDataError) as caught:
        load_discussion(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_seed_discussion_stops_on_a_malformed_file(monkeypatch, tmp_path):
    path = tmp_path / "discussion.toml"
    path.write_text(READER)
    monkeypatch.setattr(demo, "DISCUSSION_FILE", path)
    with pytest.raises(CommandError, match=f"Demo discussion not loaded: {path}: has no"):
        call_command("seed_discussion")
    assert not Comment.objects.exists()
