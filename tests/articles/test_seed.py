import json
import shutil

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from articles import demo, review
from articles.demo import FOUNDING_ARTICLE_SLUG, DemoDataError, load_articles, load_topics
from articles.models import Article, FAQEntry, Reference, ReviewStep, Topic

pytestmark = pytest.mark.django_db


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
    assert first["Article"] == len(load_articles()) >= 6
    assert first["Topic"] == len(load_topics())

    founding = Article.objects.published().get(slug=FOUNDING_ARTICLE_SLUG)
    assert founding.faqs.count() == 3
    assert founding.discussion_prompt
    assert founding.last_reviewed
    assert {ref.kind for ref in founding.references.all()} >= {"fda_label", "trial_registry"}
    assert "/articles/the-future-of-genomic-profiling/" in founding.body_html
    assert Article.objects.published().filter(slug="the-future-of-genomic-profiling").exists()


def test_seed_gives_the_founding_article_a_writer_and_the_reviewer_a_profile(
    staff_groups, settings, tmp_path
):
    from articles.models import Contributor

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins")
    assert Contributor.objects.count() == len(demo.load_contributors())
    founding = Article.objects.get(slug=FOUNDING_ARTICLE_SLUG)
    (writer,) = founding.contributors
    assert writer.competing_interests
    assert writer.user is None
    reviewer = Contributor.objects.get(user__email="reviewer@driverline.test")
    assert reviewer.credentials == "MD, PhD"
    assert founding.approval.by == reviewer.user


def test_seed_has_one_live_article_due_for_review_and_dates_the_rest_from_their_approval(
    staff_groups, settings, tmp_path
):
    from articles.review_dates import due_after
    from articles.review_due import reviews_due

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    dated = {data.slug: data.next_review for data in load_articles() if data.next_review}
    assert list(reviews_due().values_list("slug", flat=True)) == list(dated)
    for article in Article.objects.published().select_related("approval"):
        if article.slug not in dated:
            assert article.next_review == due_after(article.approval.at.date()), article.slug


def test_seed_stores_each_demo_file_as_written(staff_groups, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    for data in load_articles():
        # A file without a publication time is an article waiting for clinical review.
        articles = Article.objects.published() if data.published else Article.objects.all()
        article = articles.get(slug=data.slug)
        assert (article.title, article.kind, article.body) == (data.title, data.kind, data.body)
        assert article.standfirst == data.standfirst
        assert article.seo_description == data.seo_description
        assert article.discussion_prompt == data.discussion_prompt
        assert (article.published_at, article.last_reviewed) == (
            data.published,
            data.last_reviewed,
        )
        assert set(article.topics.values_list("slug", flat=True)) == set(data.topics)
        assert [(faq.question, faq.answer) for faq in article.faqs.all()] == [
            (faq.question, faq.answer) for faq in data.faqs
        ]
        assert [(r.label, r.kind, r.identifier, r.url) for r in article.references.all()] == [
            (r.label, r.kind, r.identifier, r.url) for r in data.references
        ]


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


def test_seed_makes_a_medical_reviewer_and_leaves_one_article_waiting_for_review(
    staff_groups, settings, tmp_path, capsys
):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    out = capsys.readouterr().out
    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    assert "reviewer@driverline.test" in out
    assert logins["reviewer"] in out
    reviewer = authenticate(email="reviewer@driverline.test", password=logins["reviewer"])
    assert reviewer.has_perm("articles.review_article")
    assert not reviewer.has_perm("articles.change_article")
    waiting = Article.objects.get(slug="msi-high-and-mismatch-repair-explained")
    assert waiting.status == Article.Status.IN_REVIEW
    assert not Article.objects.published().filter(pk=waiting.pk).exists()
    working = review.article_review(waiting)
    assert working.state == review.State.IN_REVIEW
    assert working.step.by.email == "editor@driverline.test"
    # Every published demo article went through review: the reviewer approved its content.
    for article in Article.objects.published():
        approval = article.review_steps.get(action=ReviewStep.Action.APPROVED)
        assert approval.by == reviewer
    steps = ReviewStep.objects.count()
    call_command("seed_demo", "--quiet-logins")
    assert ReviewStep.objects.count() == steps


def test_every_demo_article_file_parses_and_has_sources_and_a_review_date():
    articles = load_articles()
    assert len(articles) == len(list(demo.DEMO_DIR.glob("*.md")))
    assert FOUNDING_ARTICLE_SLUG in {article.slug for article in articles}
    slugs = {topic.slug for topic in load_topics()}
    for article in articles:
        assert article.references, article.slug
        assert article.last_reviewed, article.slug
        assert article.body.strip(), article.slug
        assert not article.body.startswith("\n"), article.slug
        assert set(article.topics) <= slugs, article.slug
        assert all(ref.url.startswith("https://") for ref in article.references)


GOOD_FRONT_MATTER = """\
title = "A demo article"
kind = "explainer"
standfirst = "One sentence."
topics = ["lung-cancer"]
published = 2026-11-17T09:00:00Z
last_reviewed = 2026-11-17
"""


@pytest.fixture
def demo_folder(tmp_path):
    """A demo folder with the real topics and contributors and one article, written by the test."""
    shutil.copy(demo.DEMO_DIR / "topics.toml", tmp_path / "topics.toml")
    shutil.copy(demo.DEMO_DIR / "contributors.toml", tmp_path / "contributors.toml")

    def write(text: str, name: str = "a-demo-article.md"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        return tmp_path / name

    write.folder = tmp_path
    return write


def test_a_well_formed_article_file_loads(demo_folder):
    demo_folder(
        f'+++\n{GOOD_FRONT_MATTER}\n[[faq]]\nquestion = "Why?"\nanswer = "Because."\n'
        f'\n[[reference]]\nlabel = "NCI"\nkind = "web"\nurl = "https://www.cancer.gov/"\n'
        "+++\n\n## Heading\n\nText.\n"
    )
    (article,) = load_articles(demo_folder.folder)
    assert article.slug == "a-demo-article"
    assert article.body == "## Heading\n\nText.\n"
    assert article.faqs[0].answer == "Because."
    assert article.references[0].identifier == ""
    assert article.seo_description == article.discussion_prompt == ""


def article_file(front_matter: str = GOOD_FRONT_MATTER, body: str = "Text.\n", **swaps) -> str:
    """An article file: the good front matter with each `old=new` swap made, then the body."""
    for old, new in swaps.values():
        assert old in front_matter
        front_matter = front_matter.replace(old, new)
    return f"+++\n{front_matter}+++\n{body}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("## No front matter\n", "must start with a '+++' line"),
        (f"+++\n{GOOD_FRONT_MATTER}\nText.\n", "no '+++' line closing the front matter"),
        # The file's own line number: line 1 is the opening +++.
        (article_file('title = "A demo article\n'), "is not valid TOML: Illegal character"),
        (article_file(swap=('"A demo article"', '"A demo article')), "(at line 2, column"),
        (article_file(body="\n"), "has no Markdown body"),
        (article_file(swap=("kind = ", "knid = ")), "front matter: unknown key 'knid'"),
        (article_file(swap=("title = ", "# title = ")), "front matter: 'title' is missing"),
        (
            article_file(swap=("= 2026-11-17\n", '= "2026-11-17"\n')),
            "'last_reviewed' must be a date (2026-11-17), not '2026-11-17'",
        ),
        (
            article_file(swap=("09:00:00Z", "09:00:00")),
            "'published' must be a date and time with a UTC offset",
        ),
        (
            article_file(swap=("explainer", "opinion")),
            "front matter: kind: Value 'opinion' is not a valid choice.",
        ),
        (
            article_file(swap=("lung-cancer", "lung-cancre")),
            "topics not in topics.toml: lung-cancre",
        ),
        (
            article_file(GOOD_FRONT_MATTER + '\n[[faq]]\nquestion = "Why?"\n'),
            "[[faq]] 1: 'answer' is missing",
        ),
        (
            article_file(GOOD_FRONT_MATTER + '\n[[reference]]\nlabel = "NCI"\nkind = "web"\n'),
            "[[reference]] 1: Give a URL, or an NCT number",
        ),
    ],
)
def test_a_malformed_article_file_is_refused_naming_the_file_and_the_problem(
    demo_folder, text, problem
):
    path = demo_folder(text)
    with pytest.raises(DemoDataError) as caught:
        load_articles(demo_folder.folder)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_an_article_file_named_other_than_a_slug_is_refused(demo_folder):
    demo_folder(f"+++\n{GOOD_FRONT_MATTER}+++\nText.\n", name="A Demo Article.md")
    with pytest.raises(DemoDataError, match=r"A Demo Article\.md: the file name must be"):
        load_articles(demo_folder.folder)


def test_a_malformed_topics_file_is_refused_naming_the_file(demo_folder):
    (demo_folder.folder / "topics.toml").write_text(
        '[[topic]]\nslug = "lung-cancer"\nname = "Lung cancer"\nkind = "organ"\n'
    )
    with pytest.raises(DemoDataError, match=r"topics\.toml: \[\[topic\]\] 1: kind: Value 'organ'"):
        load_topics(demo_folder.folder)


def test_seed_demo_stops_on_a_malformed_file_before_writing_anything(
    demo_folder, monkeypatch, staff_groups, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    path = demo_folder("+++\ntitle = \n+++\nText.\n")
    monkeypatch.setattr(demo, "DEMO_DIR", demo_folder.folder)
    with pytest.raises(CommandError, match=f"Demo content not loaded: {path}: is not valid TOML"):
        call_command("seed_demo", "--quiet-logins")
    assert counts() == dict.fromkeys(("Topic", "Article", "FAQEntry", "Reference"), 0)
