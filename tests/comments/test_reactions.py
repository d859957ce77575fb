import pytest

from comments.models import Comment, CommentFlag, HelpfulMark, ModerationDecision
from tests.factories import PASSWORD, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment():
    return CommentFactory(body="A useful explanation.")


@pytest.fixture
def reader(client):
    user = UserFactory(role="patient")
    client.force_login(user)
    return user


def test_helpful_is_one_mark_per_reader_and_undoable(client, comment, reader):
    url = f"/comments/{comment.pk}/helpful/"
    assert client.post(url).status_code == 302
    comment.refresh_from_db()
    assert comment.helpful_count == 1
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert 'aria-pressed="true">Helpful · 1' in page
    client.post(url)  # again: undo
    comment.refresh_from_db()
    assert comment.helpful_count == 0
    assert not HelpfulMark.objects.exists()


def test_the_public_sees_the_helpful_count_but_no_button(client, comment):
    Comment.objects.filter(pk=comment.pk).update(helpful_count=4)
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert "4 found this helpful" in page
    assert "/helpful/" not in page
    assert client.post(f"/comments/{comment.pk}/helpful/").status_code == 302  # to sign in
    comment.refresh_from_db()
    assert comment.helpful_count == 4


def test_authors_cannot_mark_or_report_their_own_comment(client, comment):
    client.force_login(comment.author)
    assert client.post(f"/comments/{comment.pk}/helpful/").status_code == 400
    response = client.post(f"/comments/{comment.pk}/report/", {"reason": "spam"})
    assert response.status_code == 400
    assert "your own comment" in response.content.decode()


def test_reports_need_a_reason_and_count_once_per_reader(client, comment, reader):
    url = f"/comments/{comment.pk}/report/"
    assert client.post(url, {"reason": "nonsense"}).status_code == 400
    assert client.post(url, {"reason": "misinformation"}).status_code == 302
    assert client.post(url, {"reason": "abuse"}).status_code == 302
    comment.refresh_from_db()
    assert comment.flag_count == 1
    assert CommentFlag.objects.get().reason == "misinformation"
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert "Reported" in page


def test_enough_distinct_reports_hide_a_comment_pending_review(client, comment, settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 3
    for _ in range(3):
        client.force_login(UserFactory(role="other"))
        client.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "reported by 3 readers"
    assert comment.decisions.filter(action=ModerationDecision.Action.HOLD).exists()
    assert (
        "A useful explanation."
        not in client.__class__().get(comment.article.get_absolute_url()).content.decode()
    )


def test_unverified_readers_cannot_mark_or_report(client, comment):
    client.force_login(UserFactory(verified=False))
    assert client.post(f"/comments/{comment.pk}/helpful/").status_code == 403
    assert client.post(f"/comments/{comment.pk}/report/", {"reason": "spam"}).status_code == 403


def test_reacting_to_unknown_or_hidden_comments_is_404(client, reader):
    hidden = CommentFactory(status=Comment.Status.PENDING)
    assert client.post("/comments/999999/helpful/").status_code == 404
    assert client.post(f"/comments/{hidden.pk}/helpful/").status_code == 404
    assert client.get(f"/comments/{hidden.pk}/helpful/").status_code == 405


def test_a_moderators_approval_clears_the_reports_it_answered(client, comment, settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 3
    for _ in range(3):
        client.force_login(UserFactory(role="other"))
        client.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})
    moderator = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(moderator)
    client.post(f"/comments/{comment.pk}/moderate/", {"action": "approve"})
    comment.refresh_from_db()
    assert (comment.status, comment.flag_count) == (Comment.Status.APPROVED, 0)
    assert CommentFlag.objects.filter(comment=comment, answered_at__isnull=False).count() == 3

    client.force_login(UserFactory(role="other"))
    client.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})
    comment.refresh_from_db()
    assert (comment.status, comment.flag_count) == (Comment.Status.APPROVED, 1)


def test_a_deleted_accounts_marks_and_reports_are_taken_back_so_none_counts_twice(client, comment):
    for _ in range(2):  # delete, sign up again with the same address, mark and report again
        client.force_login(UserFactory(email="again@example.org", role="other"))
        client.post(f"/comments/{comment.pk}/helpful/")
        client.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})
        comment.refresh_from_db()
        assert (comment.helpful_count, comment.flag_count) == (1, 1)
        assert client.post("/accounts/settings/delete/", {"password": PASSWORD}).status_code == 302
        comment.refresh_from_db()
        assert (comment.helpful_count, comment.flag_count) == (0, 0)
    assert not HelpfulMark.objects.exists()
    assert not CommentFlag.objects.exists()


def test_the_report_form_starts_with_no_reason_chosen_and_requires_one(client, comment, reader):
    page = client.get(comment.article.get_absolute_url()).content.decode()
    select = page[page.index(f'<select id="reason-{comment.pk}"') :]
    select = select[: select.index("</select>")]
    assert " required" in select
    first = select[select.index("<option") : select.index("</option>")]
    assert first == '<option value="">Choose a reason'
    assert "selected" not in select
    response = client.post(f"/comments/{comment.pk}/report/", {"reason": ""})
    assert response.status_code == 400
    assert "Choose a reason for your report." in response.content.decode()
    assert not CommentFlag.objects.exists()
