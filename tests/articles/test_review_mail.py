"""Clinical review's mail (who gets which, once, only after commit) and what readers see of
content under review: nothing, on the page, in search, in the feeds or in the sitemap."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from articles import review
from articles.models import Article, ReviewStep
from tests.articles.test_drafts import without_tokens
from tests.articles.test_review import signed_in, step
from tests.articles.test_revisions import BODY, save
from tests.factories import ArticleFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = ReviewStep.Action
SECRET = "Zirconitumab"  # a word only the content under review holds


@pytest.fixture
def eager():
    """The send task runs where it is queued, so a committed step's mail is in mail.outbox."""
    from config.celery import app

    kept = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = kept


@pytest.fixture
def people(staff_groups):
    def person(name, *groups, **fields):
        email = f"{name.lower()}@example.org"
        user = UserFactory(is_staff=True, display_name=name, email=email, **fields)
        user.groups.add(*(staff_groups[group] for group in groups))
        return user

    return {
        "writer": person("Wren", "Editors"),
        "submitter": person("Sam", "Editors"),
        "reviewer": person("Rhea", "Medical reviewers"),
        "second": person("Raj", "Medical reviewers"),
        "both": person("Bo", "Editors", "Medical reviewers"),
        "gone": person("Gil", "Medical reviewers", is_active=False),
        "moderator": person("Mo", "Moderators"),
    }


@pytest.fixture
def written(people):
    """A draft whose content the writer saved in the admin."""
    article = ArticleFactory(
        title="Basket trials", body=BODY, status=Article.Status.DRAFT, published_at=None
    )
    save(signed_in(people["writer"]), article, body=BODY + f"\n\n{SECRET} shrank tumours.")
    return article


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_submission_mails_every_active_reviewer_but_the_submitter_once_after_commit(
    eager, people, written, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        step(signed_in(people["both"]), written, "submit", note="Please check the dose.")
    assert mail.outbox == []  # nothing leaves before the step's transaction commits
    for callback in queued:
        callback()
    assert recipients() == ["raj@example.org", "rhea@example.org"]
    message = mail.outbox[0]
    assert message.subject == "[Driverline] For review: “Basket trials”"
    assert "Bo submitted the article “Basket trials” for clinical review." in message.body
    assert "Please check the dose." in message.body
    assert f"{settings.SITE_URL}/admin/articles/article/{written.pk}/change/" in message.body
    assert 'href="' in message.alternatives[0][0]


def test_a_decision_mails_the_revisions_author_and_its_submitter_not_the_reviewer(
    eager, people, written, django_capture_on_commit_callbacks
):
    step(signed_in(people["submitter"]), written, "submit")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        step(signed_in(people["reviewer"]), written, "request_changes", note="Cite the trial.")
    assert recipients() == ["sam@example.org", "wren@example.org"]
    assert all("Changes requested: “Basket trials”" in m.subject for m in mail.outbox)
    assert all(
        "Rhea asked for changes" in m.body and "Cite the trial." in m.body for m in mail.outbox
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        step(signed_in(people["writer"]), written, "submit")  # the writer submits it this time
    assert "wren@example.org" not in recipients()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        step(signed_in(people["second"]), written, "approve")
    assert recipients() == ["wren@example.org"]  # author and submitter are one person
    assert mail.outbox[0].subject == "[Driverline] Approved: “Basket trials”"
    assert "Raj approved “Basket trials” in clinical review." in mail.outbox[0].body


def test_a_refused_or_withdrawn_step_mails_nobody(
    eager, people, written, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        step(signed_in(people["reviewer"]), written, "request_changes", note="Not in review.")
        step(signed_in(people["submitter"]), written, "submit")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        step(signed_in(people["writer"]), written, "approve")  # 403: not a reviewer
        step(signed_in(people["submitter"]), written, "withdraw")
    assert mail.outbox == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_submission_reaches_the_reviewer_through_the_worker(
    smtp_server, celery_worker, staff_groups
):
    reviewer = ReviewerFactory(email="worker.reviewer@example.org")
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="On time")
    editor = UserFactory(is_staff=True)
    editor.groups.add(staff_groups["Editors"])
    review.article_review_step(article=article, revision=None, by=editor, action=Action.SUBMITTED)
    received = smtp_server.wait_for_message(reviewer.email)
    assert "For review: “On time”" in received["Subject"]


# What readers see ----------------------------------------------------------------------------
READER_URLS = ("/search/?q=zirconitumab", "/feed/rss/", "/feed/atom/", "/sitemap.xml", "/")


@pytest.mark.parametrize("where", ["in review", "changes requested", "approved, unpublished"])
def test_readers_never_see_an_article_before_it_is_published(people, written, where):
    step(signed_in(people["submitter"]), written, "submit")
    if where == "changes requested":
        step(signed_in(people["reviewer"]), written, "request_changes", note="More.")
    elif where.startswith("approved"):
        step(signed_in(people["reviewer"]), written, "approve")
    reader = Client()
    assert reader.get(written.get_absolute_url()).status_code == 404
    assert reader.get(f"{written.get_absolute_url()}preview/").status_code == 404
    assert (
        signed_in(people["moderator"]).get(f"{written.get_absolute_url()}preview/").status_code
        == 404
    )
    for url in READER_URLS:
        page = reader.get(url).content.decode()
        assert SECRET not in page, url
        assert "Basket trials" not in page, url


def test_readers_keep_the_live_text_while_its_changes_are_reviewed(people):
    live = ArticleFactory(title="Basket trials", slug="basket-trials", body=BODY)
    reader = Client()
    before = {url: reader.get(url).content for url in (live.get_absolute_url(), *READER_URLS)}
    save(signed_in(people["writer"]), live, title="Basket trials, rewritten", body=SECRET)
    step(signed_in(people["submitter"]), live, "submit")
    step(signed_in(people["reviewer"]), live, "request_changes", note="Too short.")
    for url, _content in before.items():
        page = reader.get(url).content
        assert SECRET.encode() not in page, url
        assert b"Basket trials, rewritten" not in page, url
    page = without_tokens(reader.get(live.get_absolute_url()).content.decode())
    assert page == without_tokens(before[live.get_absolute_url()].decode())
