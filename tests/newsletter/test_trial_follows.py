"""Following a trial from its card (#17 point 2): one click for a signed-in reader with a
verified address, the newsletter's double opt-in for anyone else, the same answer whether or
not an address is known, clear 400s for bad links, and one-click unsubscribe that stops only
that trial."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from core.suppression import suppression_add
from evidence.models import Trial
from newsletter import tokens, trial_follows
from newsletter.models import TrialFollow
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

NCT = "NCT09000001"


@pytest.fixture
def trial():
    return Trial.objects.create(
        nct_id=NCT, title="A Study of Drug A", overall_status="RECRUITING",
        as_of=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip


@pytest.fixture
def article(trial):
    return ArticleFactory(title="Drug A in NRG1 fusions", body=f"The trial {NCT}.")


def _follow_url() -> str:
    return f"/newsletter/trials/{NCT}/follow/"


def _link(message, path: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(rf"http://testserver({re.escape(path)}\S+)", text)
    assert found, text
    return found.group(1)


# --- Signed in ---------------------------------------------------------------------------------
def test_a_signed_in_reader_follows_in_one_click_and_stops_from_the_card(trial, article):
    reader = UserFactory(email="reader@example.org")
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    page = client.get(article.get_absolute_url())
    assert "Follow this trial" in page.content.decode()
    csrf = page.cookies["csrftoken"].value
    assert client.post(_follow_url(), {"next": article.get_absolute_url()}).status_code == 403
    response = client.post(
        _follow_url(), {"next": article.get_absolute_url(), "csrfmiddlewaretoken": csrf}
    )
    assert response["Location"] == f"{article.get_absolute_url()}#trial-{NCT}"
    follow = TrialFollow.objects.get()
    assert (follow.status, follow.user, follow.email) == ("active", reader, "reader@example.org")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "You follow NCT09000001: we’ll email you when it changes." in page
    assert "Stop following" in page
    client.post(
        f"/newsletter/trials/{NCT}/unfollow/",
        {"next": article.get_absolute_url(), "csrfmiddlewaretoken": csrf},
    )
    assert TrialFollow.objects.get().status == "unfollowed"


def test_an_unverified_account_is_asked_to_confirm(trial, article, mailoutbox, tasks_inline):
    client = Client()
    client.force_login(UserFactory(email="new@example.org", verified=False))
    with tasks_inline():
        response = client.post(_follow_url(), {"next": article.get_absolute_url()})
    assert response["Location"].startswith("/newsletter/trials/check-your-inbox/")
    assert TrialFollow.objects.get().status == "pending"
    (mail,) = mailoutbox
    assert mail.subject == "[Driverline] Confirm that you want to follow NCT09000001"


def test_a_reader_stops_only_their_own_follow(trial):
    reader, other = UserFactory(), UserFactory()
    for user in (reader, other):
        trial_follows.trial_follow_from_account(trial=trial, user=user)
    client = Client()
    client.force_login(reader)
    client.post(f"/newsletter/trials/{NCT}/unfollow/")
    assert dict(TrialFollow.objects.values_list("user", "status")) == {
        reader.pk: "unfollowed", other.pk: "active",
    }  # fmt: skip
    anonymous = Client().post(f"/newsletter/trials/{NCT}/unfollow/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert TrialFollow.objects.get(user=other).status == "active"


# --- By email ----------------------------------------------------------------------------------
def test_following_by_email_is_confirmed_through_the_mailed_link(
    trial, article, smtp_server, tasks_inline
):
    with tasks_inline():
        response = Client().post(
            _follow_url(), {"email": "Reader@Example.org", "next": article.get_absolute_url()}
        )
    assert response.status_code == 302
    page = Client().get(response["Location"]).content.decode()
    assert "Check your inbox" in page
    assert "Back to where you were" in page
    mail = smtp_server.wait_for_message("reader@example.org")
    assert mail["Subject"] == "[Driverline] Confirm that you want to follow NCT09000001"
    confirm = _link(mail, "/newsletter/trials/confirm/")
    assert "Follow this trial" in Client().get(confirm).content.decode()
    assert TrialFollow.objects.get().status == "pending"  # a GET (a mail scanner) does nothing
    response = Client().post(confirm)
    assert response.status_code == 200
    assert "You follow NCT09000001" in response.content.decode()
    follow = TrialFollow.objects.get()
    assert (follow.status, follow.email) == ("active", "reader@example.org")
    assert follow.confirmed_at is not None


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(
    trial, smtp_server, tasks_inline
):
    TrialFollow.objects.create(trial=trial, email="known@example.org", status="active")
    suppression_add(email="bounced@example.org", reason="bounced", detail="550")
    answers = []
    for address in ("new@example.org", "known@example.org", "bounced@example.org"):
        with tasks_inline():
            response = Client().post(_follow_url(), {"email": address, "next": "/"})
        answers.append((response.status_code, response["Location"]))
    assert len(set(answers)) == 1
    assert smtp_server.to("new@example.org")[0]["Subject"].startswith("[Driverline] Confirm")
    (already,) = smtp_server.to("known@example.org")
    assert already["Subject"] == "[Driverline] You already follow NCT09000001"
    assert "/newsletter/trials/unfollow/" in already.get_body(("plain",)).get_content()
    assert smtp_server.to("bounced@example.org") == []
    assert TrialFollow.objects.get(email="known@example.org").status == "active"


def test_bad_input_is_a_4xx(trial):
    client = Client()
    response = client.post(_follow_url(), {"email": "not an address"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert client.get(_follow_url()).status_code == 405
    assert client.post("/newsletter/trials/NCT00000000/follow/").status_code == 404
    assert client.post(_follow_url(), {"email": "bot@example.org", "website": "x"}).status_code == (
        302
    )
    assert not TrialFollow.objects.exists()


# --- Links -------------------------------------------------------------------------------------
def test_a_bad_or_expired_confirmation_link_gets_a_clear_400(trial):
    follow = TrialFollow.objects.create(trial=trial, email="late@example.org")
    with time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=False):
        token = tokens.follow_token(follow=follow, kind=tokens.LinkKind.FOLLOW_CONFIRM)
    with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False):
        expired = Client().post(f"/newsletter/trials/confirm/{token}/")
    assert expired.status_code == 400
    assert "This link has expired" in expired.content.decode()
    altered = Client().get(f"/newsletter/trials/confirm/{token[:-2]}xx/")
    assert altered.status_code == 400
    assert "is not valid" in altered.content.decode()
    # An unsubscribe token opens no confirmation, and the reverse.
    unfollow = tokens.follow_token(follow=follow, kind=tokens.LinkKind.UNFOLLOW)
    assert Client().post(f"/newsletter/trials/confirm/{unfollow}/").status_code == 400
    bad = Client().post(f"/newsletter/trials/unfollow/{token}/")
    assert bad.status_code == 400
    assert "stop following a trial is not valid" in bad.content.decode()
    assert TrialFollow.objects.get().status == "pending"


def test_one_click_unsubscribe_stops_following_that_trial_only(trial):
    other = Trial.objects.create(nct_id="NCT09000002", as_of=trial.as_of)
    follow = TrialFollow.objects.create(trial=trial, email="r@example.org", status="active")
    TrialFollow.objects.create(trial=other, email="r@example.org", status="active")
    url = tokens.follow_links(follow)["unfollow_url"].removeprefix("http://testserver")
    provider = Client(enforce_csrf_checks=True)  # no session, no CSRF token: RFC 8058
    page = provider.get(url)
    assert page.status_code == 200
    assert "Stop following NCT09000001" in page.content.decode()
    assert TrialFollow.objects.get(pk=follow.pk).status == "active"  # a GET stops nothing
    response = provider.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert provider.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200  # again
    assert dict(TrialFollow.objects.values_list("trial__nct_id", "status")) == {
        NCT: "unfollowed", "NCT09000002": "active",
    }  # fmt: skip


def test_an_old_confirmation_does_not_follow_again_after_stopping(trial):
    follow = trial_follows.trial_follow_request(trial=trial, email="r@example.org")
    token = tokens.follow_token(follow=follow, kind=tokens.LinkKind.FOLLOW_CONFIRM)
    trial_follows.trial_follow_confirm(follow=follow)
    trial_follows.trial_unfollow(follow=follow)
    assert Client().post(f"/newsletter/trials/confirm/{token}/").status_code == 409
    assert TrialFollow.objects.get().status == "unfollowed"


# --- Personal data -----------------------------------------------------------------------------
def test_a_readers_follows_are_in_their_export_and_stop_with_their_account(trial):
    import json

    from tests.factories import PASSWORD

    reader = UserFactory(email="ana@example.org")
    trial_follows.trial_follow_from_account(trial=trial, user=reader)
    client = Client()
    client.force_login(reader)
    data = json.loads(client.get("/accounts/settings/export/").content)
    assert [(f["trial"], f["status"]) for f in data["trial_follows"]] == [(NCT, "active")]
    client.post("/accounts/settings/delete/", {"password": PASSWORD})
    assert TrialFollow.objects.get().status == "unfollowed"
