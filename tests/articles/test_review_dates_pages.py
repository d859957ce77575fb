"""Review dates that come due (#14, point 6), as people meet them: the admin's list of what is
due, a live article's change form, a reviewer's confirmation, the quiet note on an overdue
article's page, and the weekly mail to editors and medical reviewers (through a real SMTP
server, once a week, never doubled)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.test import Client

from articles import drafts, review_due
from articles.models import ReviewDueReceipt
from articles.tasks import send_reviews_due
from config.celery import app
from core.mail import MailDeferred
from tests.articles.test_revisions import save
from tests.conftest import wait_for
from tests.factories import ArticleFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def reviewer(staff_groups):
    user = UserFactory(is_staff=True, email="rhea@example.org", display_name="Rhea Reviewer")
    user.groups.add(staff_groups["Medical reviewers"])
    return user


@pytest.fixture
def overdue():
    return ArticleFactory(title="Overdue article", next_review=date(2026, 11, 1))


@pytest.fixture
def later():
    return ArticleFactory(title="Later article", next_review=date(2027, 6, 1))


# --- The admin -------------------------------------------------------------------------------
def test_the_list_shows_each_next_review_marks_the_overdue_and_filters_what_is_due(
    client, editor, overdue, later
):
    soon = ArticleFactory(title="Soon article", next_review=date(2026, 12, 20))
    with time_machine.travel(TODAY, tick=False):
        listing = client.get("/admin/articles/article/").content.decode()
        due = client.get("/admin/articles/article/?review_due=due").content.decode()
        late = client.get("/admin/articles/article/?review_due=overdue").content.decode()
    assert "1 Nov 2026 (overdue)" in listing
    assert "1 Jun 2027" in listing
    assert "1 Jun 2027 (overdue)" not in listing
    assert overdue.title in due
    assert soon.title in due
    assert later.title not in due
    assert overdue.title in late
    assert soon.title not in late
    assert "Due within 30 days, or overdue" in listing


def test_a_live_articles_change_form_says_when_its_review_is_due(client, editor, overdue):
    with time_machine.travel(TODAY, tick=False):
        page = client.get(f"/admin/articles/article/{overdue.pk}/change/").content.decode()
    assert "Medical review overdue:" in page
    assert 'datetime="2026-11-01"' in page
    assert "Confirm the live article still stands" not in page  # an editor, not a reviewer


def test_an_editor_sets_the_next_review_of_a_live_article_and_it_applies_at_once(
    client, editor, later
):
    save(client, later, next_review="2026-12-10", change_note="Label update expected")
    assert later.next_review == date(2026, 12, 10)
    assert drafts.article_draft(later) is None  # nothing waits for review
    with time_machine.travel(TODAY, tick=False):
        assert list(review_due.reviews_due()) == [later]


def test_a_reviewer_confirms_from_the_change_form_and_the_page_names_the_new_review(
    client, reviewer, overdue
):
    client.force_login(reviewer)
    url = f"/admin/articles/article/{overdue.pk}/change/"
    with time_machine.travel(TODAY, tick=False):
        assert "Confirm the live article still stands" in client.get(url).content.decode()
        response = client.post(f"{url[:-7]}review/confirm/", {"note": "Checked the label."})
        assert response.status_code == 302
        shown = client.get(response["Location"]).content.decode()
        page = Client().get(overdue.get_absolute_url()).content.decode()
    assert "its next review is due 7 December 2027" in shown
    overdue.refresh_from_db()
    assert overdue.next_review == date(2027, 12, 7)
    assert "Medically reviewed by" in page
    assert "Rhea Reviewer" in page
    assert 'datetime="2026-12-07"' in page
    assert "Due for its scheduled medical review" not in page


@pytest.mark.parametrize("who", ["editor", "moderator"])
def test_only_medical_reviewers_may_post_a_confirmation(client, staff_groups, who, overdue):
    user = UserFactory(is_staff=True)
    if who == "editor":
        user.groups.add(staff_groups["Editors"])
    else:
        user = ModeratorFactory()
    client.force_login(user)
    response = client.post(f"/admin/articles/article/{overdue.pk}/review/confirm/")
    assert response.status_code == 403
    overdue.refresh_from_db()
    assert overdue.next_review == date(2026, 11, 1)


def test_a_confirmation_is_a_post_and_of_an_article_that_exists(client, reviewer, overdue):
    client.force_login(reviewer)
    assert client.get(f"/admin/articles/article/{overdue.pk}/review/confirm/").status_code == 405
    assert client.post("/admin/articles/article/999999/review/confirm/").status_code == 404


def test_the_author_is_told_another_reviewer_must_confirm(client, reviewer):
    article = ArticleFactory(author=reviewer, next_review=date(2026, 11, 1))
    client.force_login(reviewer)
    url = f"/admin/articles/article/{article.pk}/change/"
    assert "Confirm the live article still stands" not in client.get(url).content.decode()
    response = client.post(f"/admin/articles/article/{article.pk}/review/confirm/", follow=True)
    assert "another medical reviewer must confirm it" in response.content.decode()
    article.refresh_from_db()
    assert article.next_review == date(2026, 11, 1)


# --- The page --------------------------------------------------------------------------------
def test_an_overdue_article_says_so_quietly_on_its_page(overdue, later):
    with time_machine.travel(TODAY, tick=False):
        page = Client().get(overdue.get_absolute_url()).content.decode()
        fine = Client().get(later.get_absolute_url()).content.decode()
    assert "Due for its scheduled medical review since" in page
    assert '<time datetime="2026-11-01">1 November 2026</time>' in page
    assert "Due for its scheduled medical review" not in fine


# --- The weekly mail -------------------------------------------------------------------------
@pytest.fixture
def staff(staff_groups):
    people = {}
    for name, group in (("editor", "Editors"), ("reviewer", "Medical reviewers")):
        people[name] = UserFactory(is_staff=True, email=f"{name}@example.org")
        people[name].groups.add(staff_groups[group])
    people["moderator"] = UserFactory(is_staff=True, email="moderator@example.org")
    people["moderator"].groups.add(staff_groups["Moderators"])
    people["gone"] = UserFactory(is_staff=True, email="gone@example.org", is_active=False)
    people["gone"].groups.add(staff_groups["Editors"])
    people["reader"] = UserFactory(email="reader@example.org")
    return people


def test_editors_and_reviewers_get_the_weeks_reviews_due_once(smtp_server, staff, overdue, later):
    soon = ArticleFactory(title="Soon article", next_review=date(2026, 12, 20))
    with time_machine.travel(TODAY, tick=False):
        assert review_due.review_due_mail_send() == 2
        assert review_due.review_due_mail_send() == 0  # beat fires twice
    with time_machine.travel(TODAY + timedelta(days=3), tick=False):
        assert review_due.review_due_mail_send() == 0  # the same week
    recipients = sorted(str(m["To"]) for m in smtp_server.messages)
    assert recipients == ["editor@example.org", "reviewer@example.org"]
    mail = smtp_server.to("reviewer@example.org")[0]
    assert mail["Subject"] == "[Driverline] 2 articles are due for medical review"
    text = mail.get_body(("plain",)).get_content()
    assert "- Overdue article: overdue since 1 November 2026" in text
    assert "- Soon article: due 20 December 2026" in text
    assert later.title not in text
    assert f"/admin/articles/article/{soon.pk}/change/" in mail.get_body(("html",)).get_content()
    with time_machine.travel(TODAY + timedelta(days=7), tick=False):
        assert review_due.review_due_mail_send() == 2  # next week, still due


def test_nothing_due_sends_nothing(smtp_server, staff, later):
    with time_machine.travel(TODAY, tick=False):
        assert review_due.review_due_mail_send() == 0
    assert not smtp_server.messages
    assert not ReviewDueReceipt.objects.exists()


def test_a_refused_address_is_recorded_and_a_deferred_one_retried_alone(
    smtp_server, celery_worker, staff, overdue, settings
):
    settings.COMMENTS_DIGEST_RETRY_SECONDS = 0
    smtp_server.defer_rcpt["editor@example.org"] = 1  # 451 once: reached on the retry
    smtp_server.refuse.add("reviewer@example.org")  # 550, every time

    send_reviews_due.delay()

    smtp_server.wait_for_message("editor@example.org", timeout=30)
    wait_for(lambda: ReviewDueReceipt.objects.count() == 2, message="a copy unrecorded")
    receipts = dict(ReviewDueReceipt.objects.values_list("recipient__email", "outcome"))
    assert receipts == {"editor@example.org": "sent", "reviewer@example.org": "refused"}
    assert review_due.review_due_mail_send() == 0  # beat fires again the same week
    assert len(smtp_server.messages) == 1


def test_beat_sends_the_reviews_due_weekly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["reviews-due"]
    assert entry["task"] in app.tasks
    assert entry["schedule"].day_of_week == {1}  # Monday


def test_each_copy_is_addressed_by_name_and_links_the_due_list(smtp_server, staff, overdue):
    staff["editor"].display_name = "Eda Editor"
    staff["editor"].save()
    with time_machine.travel(TODAY, tick=False):
        review_due.review_due_mail_send()
    text = smtp_server.to("editor@example.org")[0].get_body(("plain",)).get_content()
    assert text.startswith("Hello Eda Editor,")
    assert "/admin/articles/article/?review_due=due" in text
    assert "- Overdue article: overdue since" in text


def test_an_article_due_today_is_due_not_overdue(smtp_server, staff):
    ArticleFactory(title="Today article", next_review=TODAY.date())
    with time_machine.travel(TODAY, tick=False):
        review_due.review_due_mail_send()
    text = smtp_server.to("editor@example.org")[0].get_body(("plain",)).get_content()
    assert "- Today article: due 7 December 2026" in text


def test_a_long_list_says_how_many_more(smtp_server, staff, monkeypatch):
    monkeypatch.setattr(review_due, "DUE_LIST_SIZE", 2)
    for day in (1, 2, 3):
        ArticleFactory(title=f"Due article {day}", next_review=date(2026, 11, day))
    with time_machine.travel(TODAY, tick=False):
        review_due.review_due_mail_send()
    mail = smtp_server.to("editor@example.org")[0]
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "[Driverline] 3 articles are due for medical review"
    assert "Due article 1" in text
    assert "Due article 2" in text
    assert "Due article 3" not in text
    assert "- and 1 more" in text


def test_a_list_that_fits_says_no_more(smtp_server, staff, overdue):
    with time_machine.travel(TODAY, tick=False):
        review_due.review_due_mail_send()
    text = smtp_server.to("editor@example.org")[0].get_body(("plain",)).get_content()
    assert "more" not in text.split("You get this email")[0].lower()


def test_staff_without_an_address_are_skipped(smtp_server, staff, overdue, staff_groups):
    UserFactory(is_staff=True, email="").groups.add(staff_groups["Editors"])
    with time_machine.travel(TODAY, tick=False):
        assert review_due.review_due_mail_send() == 2
    assert ReviewDueReceipt.objects.count() == 2


def test_a_deferred_copy_raises_after_the_others_and_a_refused_one_is_kept_as_refused(
    smtp_server, staff, overdue
):
    smtp_server.defer_rcpt["editor@example.org"] = 1  # 451 once
    smtp_server.refuse.add("reviewer@example.org")  # 550
    third = UserFactory(is_staff=True, email="third@example.org")
    third.user_permissions.add(Permission.objects.get(codename="review_article"))
    with time_machine.travel(TODAY, tick=False), pytest.raises(MailDeferred) as deferred:
        review_due.review_due_mail_send()
    assert str(deferred.value).startswith("1 reviews-due mail(s) deferred: ")
    assert "451" in str(deferred.value)
    assert [len(smtp_server.to(a)) for a in ("editor@", "reviewer@", "third@")] == [0, 0, 1]
    refused = ReviewDueReceipt.objects.get(recipient=staff["reviewer"])
    assert (refused.outcome, refused.due, refused.week) == ("refused", 1, date(2026, 12, 7))
    assert "550" in refused.detail
    with time_machine.travel(TODAY + timedelta(hours=1), tick=False):
        assert review_due.review_due_mail_send() == 1  # the retry: the deferred copy alone
    assert [len(smtp_server.to(a)) for a in ("editor@", "reviewer@", "third@")] == [1, 0, 1]


def test_the_weeks_mail_lists_what_is_due_on_the_day_it_is_sent_for(smtp_server, staff):
    ArticleFactory(title="January article", next_review=date(2027, 1, 20))
    with time_machine.travel(TODAY, tick=False):
        assert review_due.review_due_mail_send(today=date(2027, 1, 4)) == 2
    (receipt, _) = ReviewDueReceipt.objects.order_by("pk")
    assert receipt.week == date(2027, 1, 4)


def test_a_suppressed_address_is_skipped_and_recorded_so(smtp_server, staff, overdue):
    from core.suppression import suppression_add

    suppression_add(email="EDITOR@example.org", reason="complained")
    with time_machine.travel(TODAY, tick=False):
        assert review_due.review_due_mail_send() == 1
        assert review_due.review_due_mail_send() == 0  # and not tried again this week
    assert [str(m["To"]) for m in smtp_server.messages] == ["reviewer@example.org"]
    outcomes = dict(ReviewDueReceipt.objects.values_list("recipient__email", "outcome"))
    assert outcomes == {"editor@example.org": "suppressed", "reviewer@example.org": "sent"}


def test_a_writer_who_may_not_publish_cannot_postpone_a_review(client, writer, later):
    client.force_login(writer)
    page = client.get(f"/admin/articles/article/{later.pk}/change/")
    assert page.context["adminform"].form.fields["next_review"].disabled
    save(client, later, next_review="2030-01-01", change_note="Later, please")
    assert later.next_review == date(2027, 6, 1)
