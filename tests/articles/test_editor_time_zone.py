"""Editors enter and read times in their own zone, and the forms say which zone that is."""

from datetime import UTC, datetime

import pytest

from articles.models import Article
from newsletter.models import Edition
from tests.articles.test_admin import NO_FAQ, approved_then_saved, article_form
from tests.factories import ArticleFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paris_editor(client, staff_groups, settings):
    settings.TIME_ZONE = "UTC"
    user = UserFactory(is_staff=True, time_zone="Europe/Paris")
    user.groups.add(staff_groups["Editors"])
    client.force_login(user)
    return user


def test_an_editor_enters_and_reads_publication_times_in_their_own_zone(client, paris_editor):
    form = client.get("/admin/articles/article/add/").content.decode()
    assert "In Europe/Paris. Empty means now" in form

    data = article_form(TopicFactory(), published_at="2030-01-15T10:00", **NO_FAQ)
    article = approved_then_saved(client, data)
    assert article.published_at == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)  # CET is UTC+1
    change = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert 'value="2030-01-15T10:00"' in change
    listing = client.get("/admin/articles/article/").content.decode()
    assert 'field-published_at nowrap">15 Jan 2030, 10 a.m.<' in listing


def test_the_schedule_forms_name_the_editors_zone_and_read_the_time_in_it(client, paris_editor):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    base = {"action": "schedule", "_selected_action": [article.pk]}
    page = client.post("/admin/articles/article/", base).content.decode()
    assert "In Europe/Paris. The articles go live at this time." in page
    client.post(
        "/admin/articles/article/", {**base, "apply": "1", "publish_at": "2030-07-01T08:30"}
    )
    article.refresh_from_db()
    assert article.published_at == datetime(2030, 7, 1, 6, 30, tzinfo=UTC)  # CEST is UTC+2

    edition = Edition.objects.create(subject="Week 27", intro="Hello.")
    url = f"/admin/newsletter/edition/{edition.pk}/schedule/"
    assert "In Europe/Paris. The edition goes out at this time." in client.get(url).content.decode()
    client.post(url, {"publish_at": "2030-07-01T08:30"})
    edition.refresh_from_db()
    assert edition.scheduled_at == datetime(2030, 7, 1, 6, 30, tzinfo=UTC)


def test_readers_see_the_sites_zone_whatever_their_own(client, settings):
    settings.TIME_ZONE = "UTC"
    reader = UserFactory(time_zone="Asia/Tokyo")
    client.force_login(reader)
    ArticleFactory(
        slug="late-news", published_at=datetime(2026, 1, 1, 20, 0, tzinfo=UTC), title="Late news"
    )
    page = client.get("/articles/late-news/").content.decode()
    assert "1 January 2026" in page  # in Tokyo it would already be the 2nd


def test_staff_choose_their_time_zone_in_their_account_settings(client, settings):
    settings.TIME_ZONE = "UTC"
    editor = UserFactory(is_staff=True, display_name="Eda")
    assert editor.time_zone == "UTC"  # the site's zone until they choose
    client.force_login(editor)
    page = client.get("/accounts/settings/").content.decode()
    assert '<option value="Europe/Paris">Europe/Paris</option>' in page
    response = client.post(
        "/accounts/settings/", {"display_name": "Eda", "time_zone": "America/New_York"}
    )
    assert response.status_code == 302
    editor.refresh_from_db()
    assert editor.time_zone == "America/New_York"
    assert (
        client.post(
            "/accounts/settings/", {"display_name": "Eda", "time_zone": "Mars/Olympus"}
        ).status_code
        == 400
    )

    reader = UserFactory(display_name="Rea")
    client.force_login(reader)
    assert 'name="time_zone"' not in client.get("/accounts/settings/").content.decode()
