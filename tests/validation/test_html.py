"""0 errors from the Nu Html Checker on public, signed-in and our admin pages."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "home",
    "article",
    "article-now",
    "article-review-due",
    "topic",
    "topics",
    "search",
    "search-empty",
    "archive",
    "newsletter",
    "newsletter-archive",
    "newsletter-edition",
    "not-found",
    "login",
    "signup",
    "article-moderator",
    "article-reader",
    "admin-edition",
    "admin-edition-sent",
    "admin-article",
    "admin-article-add",
    "admin-article-changes",
    "admin-article-in-review",
    "admin-article-review-due",
    "admin-articles-due",
    "admin-findings",
    "admin-suppressions",
    "admin-suppression-lift",
    "article-preview",
    "article-follower",
    "trial-follow-confirm",
    "trial-follow-confirmed",
    "trial-unfollow",
    "trial-follow-check-inbox",
    "trial-follow-bad-link",
    "trial-unfollow-bad-link",
    "trial-follow-invalid",
    "admin-trial-follows",
    "admin-trial",
]


def describe(errors: list[dict]) -> str:
    return "\n".join(
        f"  line {e.get('lastLine')}: {e.get('message')} [{e.get('extract', '').strip()[:120]}]"
        for e in errors
    )


@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_no_html_errors(validated, vnu, name):
    assert name in validated.html
    errors = vnu.get(name, [])
    assert not errors, f"{len(errors)} HTML error(s) on {name}:\n{describe(errors)}"
