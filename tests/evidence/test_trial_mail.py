"""A trial's change reaches people (#17 point 2): the editors of the public articles citing it,
and the readers who follow it, one mail each per change, never doubled, however many refreshes
and sends run and even two at the same moment. Real SMTP (aiosmtpd), a real worker for the
whole path, and the local registry (conftest.py)."""

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from articles.models import Article
from config.celery import app
from core.mail import MailDeferred
from core.suppression import suppression_add
from evidence import notifications, services, tasks
from evidence.models import TrialChange, TrialChangeNotice
from newsletter import tasks as newsletter_tasks
from newsletter import trial_follows
from newsletter.models import TrialFollow, TrialFollowNotice
from tests.conftest import wait_for
from tests.evidence.conftest import recorded
from tests.factories import ArticleFactory, ReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

NCT = "NCT09000001"


def _moved(**status) -> dict:
    record = recorded(NCT)
    record["protocolSection"]["statusModule"].update(
        {
            "overallStatus": "ACTIVE_NOT_RECRUITING",
            "lastUpdatePostDateStruct": {"date": "2026-12-01", "type": "ACTUAL"},
            **status,
        }
    )
    return record


def _change(registry) -> TrialChange:
    """The trial fetched a while ago, then moved from recruiting: its one change."""
    services.trial_refresh(nct_id=NCT, now=timezone.now() - timedelta(days=2))
    registry.answer(NCT, (200, _moved(), {}))
    services.trial_refresh(nct_id=NCT, now=timezone.now())
    return TrialChange.objects.get()


def _follower(email: str, **fields) -> TrialFollow:
    from evidence.models import Trial

    return TrialFollow.objects.create(
        trial=Trial.objects.get(nct_id=NCT),
        email=email,
        status=fields.pop("status", TrialFollow.Status.ACTIVE),
        confirmed_at=fields.pop("confirmed_at", timezone.now() - timedelta(days=3)),
        **fields,
    )


@pytest.fixture
def citing():
    """Two public articles cite the trial (in the body; in a reference), by two authors; a
    draft by a third cites it too."""
    first = ArticleFactory(
        title="Drug A in NRG1 fusions", body=f"The trial {NCT}.",
        author=UserFactory(email="first.author@example.org", display_name="Ada"),
    )  # fmt: skip
    second = ArticleFactory(
        title="Pancreatic cancer round-up", body="No number in the text.",
        author=UserFactory(email="second.author@example.org", display_name="Ben"),
    )  # fmt: skip
    ReferenceFactory(article=second, identifier=NCT)
    ArticleFactory(
        title="A draft", body=NCT, status=Article.Status.DRAFT, published_at=None,
        author=UserFactory(email="draft.author@example.org"),
    )  # fmt: skip
    return first, second


# --- Editors -----------------------------------------------------------------------------------
def test_each_citing_articles_author_is_mailed_once_per_change(registry, citing, smtp_server):
    first, second = citing
    change = _change(registry)
    assert notifications.trial_change_editors_notify(change_id=change.pk) == 2
    assert notifications.trial_change_editors_notify(change_id=change.pk) == 0  # again: nothing
    services.trial_refresh(nct_id=NCT, now=timezone.now() + timedelta(days=1))  # no new change
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "first.author@example.org", "second.author@example.org",
    ]  # fmt: skip
    (mail,) = smtp_server.to("first.author@example.org")
    assert mail["Subject"] == (
        "[Driverline] NCT09000001: now active, not recruiting (cited in 2 articles)"
    )
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "A Study of Drug A in Solid Tumours With an NRG1 Fusion (NCT09000001)" in text
    assert "Status changed from Recruiting to Active, not recruiting on 1 December 2026" in text
    assert f"/admin/articles/article/{first.pk}/change/" in text
    assert f"/admin/articles/article/{second.pk}/change/" in text
    assert "Drug A in NRG1 fusions (yours)" in text
    assert "A draft" not in text
    assert mail["List-Unsubscribe"] is None  # the editors' mail is no list mail
    assert TrialChange.objects.get().editors_notified_at is not None
    assert notifications.changes_awaiting_editors() == []


def test_an_article_without_an_author_account_falls_to_the_desk(
    registry, smtp_server, staff_groups
):
    ArticleFactory(body=NCT, author=None)
    editor = UserFactory(email="desk@example.org", is_staff=True)
    editor.groups.add(staff_groups["Editors"])
    UserFactory(email="left@example.org", is_active=False).groups.add(staff_groups["Editors"])
    UserFactory(email="reader@example.org")
    change = _change(registry)
    assert notifications.trial_change_editors_notify(change_id=change.pk) == 1
    assert [m["To"] for m in smtp_server.messages] == ["desk@example.org"]


def test_results_posted_name_themselves(registry, citing, smtp_server):
    services.trial_refresh(nct_id=NCT, now=timezone.now() - timedelta(days=2))
    posted = recorded(NCT)
    posted["protocolSection"]["statusModule"]["resultsFirstPostDateStruct"] = {"date": "2026-12-02"}
    registry.answer(NCT, (200, posted, {}))
    services.trial_refresh(nct_id=NCT, now=timezone.now())
    notifications.trial_change_editors_notify(change_id=TrialChange.objects.get().pk)
    mail = smtp_server.to("first.author@example.org")[0]
    assert mail["Subject"].endswith("NCT09000001: results posted (cited in 2 articles)")
    assert "Results posted on 2 December 2026" in mail.get_body(("plain",)).get_content()


def test_a_refused_address_is_recorded_and_never_tried_again(registry, citing, smtp_server):
    smtp_server.refuse.add("first.author@example.org")
    change = _change(registry)
    assert notifications.trial_change_editors_notify(change_id=change.pk) == 1
    notifications.trial_change_editors_notify(change_id=change.pk)
    assert smtp_server.tried.count("first.author@example.org") == 1
    outcomes = dict(TrialChangeNotice.objects.values_list("recipient__email", "outcome"))
    assert outcomes["first.author@example.org"] == "refused"


def test_a_change_whose_editors_task_was_lost_is_handed_over_again(registry, citing):
    change = _change(registry)  # its task was queued on a commit that never came (no worker)
    assert notifications.changes_awaiting_editors() == [change.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_mail_each_editor_once(registry, citing, smtp_server):
    change = _change(registry)
    smtp_server.delay = 0.3  # both are sending at once
    _at_once(lambda: notifications.trial_change_editors_notify(change_id=change.pk))
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "first.author@example.org", "second.author@example.org",
    ]  # fmt: skip
    assert TrialChangeNotice.objects.count() == 2


# --- Followers ---------------------------------------------------------------------------------
def test_a_change_is_mailed_once_to_each_follower_with_the_list_headers(
    registry, citing, smtp_server
):
    services.trial_refresh(nct_id=NCT, now=timezone.now() - timedelta(days=2))
    _follower("reader@example.org")
    _follower("other@example.org")
    _follower("pending@example.org", status=TrialFollow.Status.PENDING, confirmed_at=None)
    _follower("left@example.org", status=TrialFollow.Status.UNFOLLOWED)
    registry.answer(NCT, (200, _moved(), {}))
    services.trial_refresh(nct_id=NCT, now=timezone.now())
    _follower("late@example.org", confirmed_at=timezone.now() + timedelta(seconds=1))
    assert trial_follows.trial_change_mail_send() == 2
    assert trial_follows.trial_change_mail_send() == 0
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "other@example.org", "reader@example.org",
    ]  # fmt: skip
    (mail,) = smtp_server.to("reader@example.org")
    assert mail["Subject"] == "[Driverline] NCT09000001: now active, not recruiting"
    assert str(mail["List-Id"]) == "Driverline newsletter <newsletter.testserver>"
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert "/newsletter/trials/unfollow/" in str(mail["List-Unsubscribe"])
    assert mail["From"] == "Driverline newsletter <newsletter@localhost>"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Status changed from Recruiting to Active, not recruiting on 1 December 2026" in text
    assert "Drug A in NRG1 fusions: http://testserver/articles/" in text
    assert "https://clinicaltrials.gov/study/NCT09000001" in text


def test_a_deferred_follower_is_retried_alone_and_a_suppressed_one_recorded(
    registry, citing, smtp_server
):
    services.trial_refresh(nct_id=NCT, now=timezone.now() - timedelta(days=2))
    _follower("busy@example.org")
    _follower("fine@example.org")
    _follower("bounced@example.org")
    suppression_add(email="bounced@example.org", reason="bounced", detail="550")
    registry.answer(NCT, (200, _moved(), {}))
    services.trial_refresh(nct_id=NCT, now=timezone.now())
    smtp_server.defer_rcpt["busy@example.org"] = 1
    with pytest.raises(MailDeferred):
        trial_follows.trial_change_mail_send()
    assert [m["To"] for m in smtp_server.messages] == ["fine@example.org"]
    assert trial_follows.trial_change_mail_send() == 1  # the retry: the deferred one alone
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "busy@example.org", "fine@example.org",
    ]  # fmt: skip
    outcomes = dict(TrialFollowNotice.objects.values_list("follow__email", "outcome"))
    assert outcomes == {
        "busy@example.org": "sent", "fine@example.org": "sent", "bounced@example.org": "suppressed",
    }  # fmt: skip


def test_beat_mails_followers_every_five_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["trial-change-mail"]
    assert app.tasks[entry["task"]].name == newsletter_tasks.send_trial_change_mail.name
    assert entry["schedule"] == timedelta(minutes=5)


def test_an_old_change_is_not_mailed_to_a_new_follower(registry, citing, smtp_server):
    _change(registry)
    TrialChange.objects.update(recorded_at=timezone.now() - timedelta(days=3))
    _follower("reader@example.org", confirmed_at=timezone.now() - timedelta(days=10))
    assert trial_follows.trial_change_mail_send() == 0
    assert TrialFollowNotice.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_refreshes_and_sends_at_the_same_moment_mail_each_person_once(
    registry, citing, smtp_server
):
    services.trial_refresh(nct_id=NCT, now=timezone.now() - timedelta(days=2))
    _follower("reader@example.org")
    _follower("other@example.org")
    registry.answer(NCT, (200, _moved(), {}))
    registry.delay = 0.3  # both refreshes wait on the registry at once
    _at_once(lambda: services.trial_refresh(nct_id=NCT, now=timezone.now()))
    assert TrialChange.objects.count() == 1
    change = TrialChange.objects.get()
    smtp_server.delay = 0.3  # both sends hold a message at once
    _at_once(trial_follows.trial_change_mail_send)
    _at_once(lambda: notifications.trial_change_editors_notify(change_id=change.pk))
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "first.author@example.org", "other@example.org", "reader@example.org",
        "second.author@example.org",
    ]  # fmt: skip


def test_the_card_shows_the_latest_change(registry, citing, client):
    first, _ = citing
    _change(registry)
    page = client.get(first.get_absolute_url()).content.decode()
    assert (
        "<strong>Status changed from Recruiting to Active, not recruiting</strong> on "
        '<time datetime="2026-12-01">1 Dec 2026</time>'
    ) in page


# --- The whole path on a real worker -----------------------------------------------------------
def test_a_change_found_on_the_worker_reaches_editors_and_followers_once(
    registry, citing, smtp_server, celery_worker
):
    services.trial_refresh(nct_id=NCT, now=timezone.now() - timedelta(days=2))
    _follower("reader@example.org")
    registry.answer(NCT, (200, _moved(), {}))
    tasks.refresh_trials.delay()
    smtp_server.wait_for_message("first.author@example.org")
    smtp_server.wait_for_message("second.author@example.org")
    newsletter_tasks.send_trial_change_mail.delay()
    newsletter_tasks.send_trial_change_mail.delay()  # a second beat: nothing more
    smtp_server.wait_for_message("reader@example.org")
    tasks.refresh_trials.delay()  # nothing due, nothing awaiting: no mail
    wait_for(lambda: TrialChange.objects.get().editors_notified_at)
    _worker_idle()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "first.author@example.org", "reader@example.org", "second.author@example.org",
    ]  # fmt: skip
    assert TrialFollowNotice.objects.count() == 1


def _worker_idle() -> None:
    from celery.worker import state

    time.sleep(0.3)  # what was queued a moment ago reaches the worker
    wait_for(lambda: not (state.active_requests or state.reserved_requests), timeout=20)


def _at_once(work) -> None:
    errors = []

    def run():
        try:
            work()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
