"""Newsletter mail never carries content a medical reviewer has not approved and an editor not
published (#14, point 3): alerts and digests read Article.objects.published(), and a live
article's changes under review stay out of its row, so out of every edition."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from articles import review
from articles.models import Article, ReviewStep
from newsletter import emails, services
from newsletter.models import Edition, Subscriber
from tests.articles.test_review import signed_in, step
from tests.articles.test_revisions import save
from tests.factories import ArticleFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db
WEEK_47_MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SECRET = "Zirconitumab"


@pytest.fixture
def editor(staff_groups):
    user = UserFactory(is_staff=True)
    user.groups.add(staff_groups["Editors"])
    return user


def test_an_article_in_review_or_approved_but_unpublished_gets_no_alert_and_no_digest(editor):
    Subscriber.objects.create(email="all@example.org", status="active")
    with time_machine.travel(WEEK_47_MONDAY + timedelta(days=1)):
        waiting = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title=SECRET)
        review.article_review_step(
            article=waiting, revision=None, by=editor, action=ReviewStep.Action.SUBMITTED
        )
        approved = ArticleFactory(
            status=Article.Status.DRAFT, published_at=None, title=f"{SECRET} II", approved=True
        )
        assert services.alerts_create() == []
    assert services.digest_create(today=date(2026, 11, 23)) is None
    assert not Edition.objects.filter(featured__in=[waiting, approved]).exists()


def test_a_live_articles_changes_under_review_stay_out_of_its_alert(editor):
    Subscriber.objects.create(email="each@example.org", status="active", frequency="each")
    live = ArticleFactory(title="Basket trials", slug="basket-trials")
    save(signed_in(editor), live, title=f"{SECRET} rewritten", body=f"{SECRET} text.")
    step(signed_in(editor), live, "submit")
    step(signed_in(ReviewerFactory()), live, "approve")  # approved, not yet published
    (alert_id,) = services.alerts_create()
    copy = emails.editor_copy(Edition.objects.get(pk=alert_id), to="editor@example.org")
    html = copy.alternatives[0][0]
    assert "Basket trials" in copy.body
    assert SECRET not in copy.body
    assert SECRET not in html
