"""What a moderator can do in the admin, as a moderator, over HTTP."""

import pytest

from comments.models import CommentBan, CommentFlag
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(client, staff_groups):
    user = UserFactory(is_staff=True, display_name="Mo")
    user.groups.add(staff_groups["Moderators"])
    client.force_login(user)
    return user


def test_a_moderator_finds_a_reader_with_the_ban_forms_search_and_bans_them(client, moderator):
    troll = UserFactory(email="troll@example.org", display_name="Troll")
    UserFactory(email="kind@example.org", display_name="Kind")
    search = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "comments",
            "model_name": "commentban",
            "field_name": "user",
            "term": "troll",
        },
    )
    assert search.status_code == 200
    assert [result["text"] for result in search.json()["results"]] == ["Troll"]
    response = client.post("/admin/comments/commentban/add/", {"user": troll.pk, "reason": "abuse"})
    assert response.status_code == 302
    assert CommentBan.objects.get(user=troll).banned_by == moderator


def test_a_moderator_reads_reports_and_cannot_change_or_delete_them(client, moderator):
    comment = CommentFactory(body="A reported remark")
    flag = CommentFlag.objects.create(
        comment=comment, user=UserFactory(), reason=CommentFlag.Reason.ABUSE
    )
    listing = client.get("/admin/comments/commentflag/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "Abusive or disrespectful" in page
    assert f'href="/admin/comments/comment/{comment.pk}/change/"' in page  # act on the comment
    detail = client.get(f"/admin/comments/commentflag/{flag.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/comments/commentflag/add/").status_code == 403
    assert (
        client.post(f"/admin/comments/commentflag/{flag.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert CommentFlag.objects.filter(pk=flag.pk).exists()


def test_a_moderator_sees_who_a_reader_is_but_not_their_account_security(client, moderator):
    reader = UserFactory(email="reader@example.org")
    page = client.get(f"/admin/accounts/user/{reader.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "reader@example.org" in text
    for hidden in ("Superuser status", "md5$", "algorithm", "User permissions", 'name="_save"'):
        assert hidden not in text, hidden
    change = {"email": "taken@example.org", "is_superuser": "on"}
    assert client.post(f"/admin/accounts/user/{reader.pk}/change/", change).status_code == 403
    assert client.get("/admin/accounts/user/add/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403
    reader.refresh_from_db()
    assert not reader.is_superuser
