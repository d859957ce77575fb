from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles import drafts, revisions
from articles.models import Article
from tests.factories import ArticleFactory, TopicFactory, UserFactory, approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, staff_groups):
    user = UserFactory(is_staff=True)
    user.groups.add(staff_groups["Editors"])
    client.force_login(user)
    return user


NO_FAQ = {"faqs-TOTAL_FORMS": "0"}


def article_form(topic, **overrides):
    data = {
        "title": "A new approval",
        "slug": "a-new-approval",
        "kind": "news",
        "standfirst": "Short.",
        "topics": [topic.pk],
        "body": "## Section\n\nText with NCT02912949.",
        "status": "published",
        "published_at": "",
        "last_reviewed": "2026-11-01",
        "discussion_prompt": "Thoughts?",
        "seo_description": "",
        "comments_open": "on",
        "faqs-TOTAL_FORMS": "1",
        "faqs-INITIAL_FORMS": "0",
        "faqs-0-question": "What is it?",
        "faqs-0-answer": "A *drug*.",
        "faqs-0-order": "0",
        "references-TOTAL_FORMS": "0",
        "references-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def approved_then_saved(client, data: dict) -> Article:
    """Write a new article as a draft, have a medical reviewer approve it, then save the same
    form again with the publication `data` asks for (new content is never published unseen)."""
    client.post("/admin/articles/article/add/", {**data, "status": "draft", "published_at": ""})
    article = Article.objects.get(slug=data["slug"])
    approve(article)
    client.post(f"/admin/articles/article/{article.pk}/change/", data)
    article.refresh_from_db()
    return article


def test_editor_writes_and_publishes_an_article_with_an_faq(client, editor):
    topic = TopicFactory()
    response = client.post("/admin/articles/article/add/", article_form(topic), follow=True)
    # Asked to publish at once, new content is saved but waits for a medical reviewer.
    assert "a medical reviewer has not approved its content" in response.content.decode()
    article = Article.objects.get(slug="a-new-approval")
    assert article.status == Article.Status.DRAFT
    approve(article)
    client.post(
        "/admin/articles/article/", {"action": "publish_now", "_selected_action": [article.pk]}
    )
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.is_public
    assert article.faqs.get().answer_html == "<p>A <em>drug</em>.</p>\n"
    assert "clinicaltrials.gov" in article.body_html
    page = client.get("/articles/a-new-approval/").content.decode()
    assert "What is it?" in page


def test_a_future_time_in_the_form_schedules(client, editor):
    topic = TopicFactory()
    when = timezone.localtime() + timedelta(days=1)
    data = article_form(topic, published_at=when.strftime("%Y-%m-%dT%H:%M"), **NO_FAQ)
    article = approved_then_saved(client, data)
    assert article.status == Article.Status.SCHEDULED
    assert not article.is_public


def test_a_draft_saved_in_the_admin_stays_private(client, editor):
    client.post("/admin/articles/article/add/", article_form(TopicFactory(), status="draft"))
    article = Article.objects.get(slug="a-new-approval")
    assert article.status == Article.Status.DRAFT
    assert client.logout() is None
    assert client.get("/articles/a-new-approval/").status_code == 404


def test_publish_and_unpublish_actions(client, editor):
    drafts = ArticleFactory.create_batch(
        2, status=Article.Status.DRAFT, published_at=None, approved=True
    )
    ids = [a.pk for a in drafts]
    client.post("/admin/articles/article/", {"action": "publish_now", "_selected_action": ids})
    assert set(Article.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"published"}
    client.post("/admin/articles/article/", {"action": "unpublish", "_selected_action": ids})
    assert set(Article.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"draft"}


def test_schedule_action_asks_for_a_time_and_rejects_the_past(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    base = {"action": "schedule", "_selected_action": [article.pk]}
    form = client.post("/admin/articles/article/", base)
    assert form.status_code == 200
    assert "Publish at" in form.content.decode()
    past = client.post(
        "/admin/articles/article/", {**base, "apply": "1", "publish_at": "2001-01-01T10:00"}
    )
    assert past.status_code == 400  # refused, with the reason
    assert "Choose a time in the future" in past.content.decode()
    garbage = client.post("/admin/articles/article/", {**base, "apply": "1", "publish_at": "soon"})
    assert garbage.status_code == 400
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    done = client.post("/admin/articles/article/", {**base, "apply": "1", "publish_at": when})
    assert done.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.SCHEDULED


def test_markdown_preview_renders_through_the_sanitiser(client, editor):
    response = client.post(
        "/admin/articles/article/preview/", {"body": "## Hi\n\n<script>x</script> NCT02912949"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h2 id="hi">Hi</h2>' in html
    assert "<script>" not in html
    # A page of its own, in the site's typography: the admin frames it beside the source.
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    assert '<div class="prose"><h2 id="hi">' in html
    assert client.get("/admin/articles/article/preview/").status_code == 405


def test_moderators_cannot_write_or_publish_articles(client, staff_groups):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    client.force_login(moderator)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    assert client.get("/admin/articles/article/add/").status_code == 403
    assert client.post("/admin/articles/article/preview/", {"body": "x"}).status_code == 403
    client.post(
        "/admin/articles/article/", {"action": "publish_now", "_selected_action": [article.pk]}
    )
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_editor_cannot_reschedule_a_live_article_without_unpublishing(client, editor):
    article = ArticleFactory(title="Live one", slug="live-one", topics=[TopicFactory()])
    when = timezone.localtime() + timedelta(days=1)
    data = article_form(
        article.topics.get(),
        title="Live one",
        slug="live-one",
        published_at=when.strftime("%Y-%m-%dT%H:%M"),
        **{"faqs-TOTAL_FORMS": "0"},
    )
    response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 200
    assert "unpublish it first" in response.content.decode()
    article.refresh_from_db()
    assert article.is_public


def test_a_reference_without_any_link_is_refused_with_a_message(client, editor):
    data = article_form(
        TopicFactory(),
        **{
            "references-TOTAL_FORMS": "1",
            "references-0-label": "Some paper",
            "references-0-kind": "web",
            "references-0-identifier": "",
            "references-0-url": "",
            "references-0-order": "0",
        },
    )
    response = client.post("/admin/articles/article/add/", data)
    assert response.status_code == 200
    assert "Give a URL, or an NCT number" in response.content.decode()
    assert not Article.objects.filter(slug="a-new-approval").exists()


@pytest.fixture
def writer(client, staff_groups):
    """Writes and edits articles, but may not publish, schedule or unpublish them."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        staff_groups["Editors"].permissions.exclude(codename="publish_article")
    )
    client.force_login(user)
    return user


def test_a_writer_who_edits_a_live_article_saves_the_edit_and_leaves_it_live(client, writer):
    """Saved as the article's unpublished changes (tests/articles/test_drafts.py)."""
    article = ArticleFactory(title="Live one", slug="live-one", topics=[TopicFactory()])
    published_at = article.published_at
    page = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert 'name="status"' in page
    # What the browser sends: the status select's first option, no time (the field is disabled).
    data = article_form(
        article.topics.get(),
        title="Live one, corrected",
        slug="live-one",
        status="draft",
        **{"faqs-TOTAL_FORMS": "0"},
    )
    del data["published_at"]
    response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Live one"  # readers keep the published text
    assert drafts.article_draft(article).note.startswith("Changed title")
    page = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert 'value="Live one, corrected"' in page
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at == published_at
    client.logout()
    assert client.get("/articles/live-one/").status_code == 200


def test_a_writer_files_a_draft_for_review_but_cannot_publish_it(client, writer):
    topic = TopicFactory()
    refused = client.post("/admin/articles/article/add/", article_form(topic, status="published"))
    assert refused.status_code == 200  # not a choice this writer has
    assert not Article.objects.filter(slug="a-new-approval").exists()
    client.post("/admin/articles/article/add/", article_form(topic, status="review"))
    article = Article.objects.get(slug="a-new-approval")
    assert article.status == Article.Status.IN_REVIEW
    assert article.published_at is None


def test_editor_cannot_reschedule_a_scheduled_article_whose_time_has_come(client, editor):
    article = ArticleFactory(
        title="Due one",
        slug="due-one",
        topics=[TopicFactory()],
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=5),
    )
    when = timezone.localtime() + timedelta(days=1)
    data = article_form(
        article.topics.get(),
        title="Due one",
        slug="due-one",
        status="scheduled",
        published_at=when.strftime("%Y-%m-%dT%H:%M"),
        **{"faqs-TOTAL_FORMS": "0"},
    )
    response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 200
    assert "unpublish it first" in response.content.decode()
    article.refresh_from_db()
    assert article.is_public


def test_schedule_action_leaves_a_scheduled_article_whose_time_has_come_live(client, editor):
    article = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() - timedelta(minutes=5)
    )
    was = article.published_at
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/admin/articles/article/",
        {"action": "schedule", "_selected_action": [article.pk], "apply": "1", "publish_at": when},
        follow=True,
    )
    assert "already live. To schedule it for later, unpublish it first" in (
        response.content.decode()
    )
    article.refresh_from_db()
    assert article.is_public
    assert article.published_at == was
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 200


def test_a_writer_opening_the_form_leaves_editors_free_to_schedule(client, editor, writer):
    writers_browser = Client()
    writers_browser.force_login(writer)
    assert writers_browser.get("/admin/articles/article/add/").status_code == 200
    when = timezone.localtime() + timedelta(days=1)
    data = article_form(TopicFactory(), published_at=when.strftime("%Y-%m-%dT%H:%M"), **NO_FAQ)
    client.force_login(editor)
    article = approved_then_saved(client, data)
    assert article.status == Article.Status.SCHEDULED
    assert not article.is_public


def test_author_offers_only_staff_and_editors_never_readers(client, editor, staff_groups):
    reader = UserFactory(display_name="Rita Reader", email="rita@example.org")
    contributor = UserFactory(display_name="Cora Contributor", email="cora@example.org")
    contributor.groups.add(staff_groups["Editors"])  # writes for the site without admin access
    moderator = UserFactory(display_name="Mo Moderator", is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])

    form = client.get("/admin/articles/article/add/").content.decode()
    assert "Cora Contributor (cora@example.org)" in form
    assert "Mo Moderator" in form
    assert "Rita Reader" not in form
    refused = client.post(
        "/admin/articles/article/add/", article_form(TopicFactory(), author=reader.pk)
    )
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert not Article.objects.exists()


def test_an_article_keeps_an_author_who_is_no_longer_staff(client, editor):
    former = UserFactory(display_name="Fran Former", is_staff=False)
    article = ArticleFactory(author=former, title="Old piece", slug="old-piece")
    form = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "Fran Former" in form


def test_a_moderator_reads_an_article_in_the_admin(client, staff_groups):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    client.force_login(moderator)
    article = ArticleFactory(title="Read, not written")
    page = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert page.status_code == 200  # every field read-only; the form had no status to disable
    assert "Read, not written" in page.content.decode()


def test_saving_a_live_article_keeps_its_publication_time_to_the_second(client, editor):
    """The picker shows minutes: a time the editor left alone is not cut to the minute."""
    at = (timezone.now() - timedelta(days=2)).replace(second=37)
    article = ArticleFactory(slug="live-one", topics=[TopicFactory()], published_at=at)
    data = article_form(
        article.topics.get(),
        slug="live-one",
        body="Edited.",
        published_at=timezone.localtime(at).strftime("%Y-%m-%dT%H:%M"),
        **{"faqs-TOTAL_FORMS": "0"},
    )
    assert client.post(f"/admin/articles/article/{article.pk}/change/", data).status_code == 302
    article.refresh_from_db()
    assert article.published_at == at
    (draft,) = revisions.revision_contents(drafts.article_draft(article))
    assert draft.fields["body"] == "Edited."
