"""Every attack string, posted through the comment form, comes out of the page harmless."""

import html
import re
from html.parser import HTMLParser

import pytest

from comments.models import Comment
from tests.comments.xss_corpus import ATTACKS
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "form",
    "input", "button", "textarea", "select", "meta", "link", "base", "svg", "math", "img",
    "video", "audio", "source", "template",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "poster"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript):", re.IGNORECASE)
INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]+")


VOID = {"br", "hr", "img", "input", "meta", "link", "base", "source", "embed", "wbr", "col"}
USER_CONTENT = ("comment__body", "comment__header", "comment__interests")


class Inspector(HTMLParser):
    """Collects anything dangerous inside what readers wrote (bodies, names, interests).

    The page's own controls around each comment (helpful, report and remove forms) are
    ours and are not inspected.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[bool] = []  # per open element: is it reader content?
        self.bodies = 0

    def handle_starttag(self, tag, attrs):
        inside = any(self.stack)
        classes = (dict(attrs).get("class") or "").split()
        region = any(name in classes for name in USER_CONTENT)
        if "comment__body" in classes:
            self.bodies += 1
        if inside or region:
            self._inspect(tag, attrs)
        if tag not in VOID:
            self.stack.append(region)

    def handle_startendtag(self, tag, attrs):
        if any(self.stack):
            self._inspect(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def _inspect(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name} attribute on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                cleaned = INVISIBLE.sub("", html.unescape(value))
                if BAD_SCHEME.match(cleaned):
                    self.problems.append(f"{name}={value!r} on <{tag}>")


def comments_fragment(page: str) -> str:
    start = page.index('<ol class="comment-list" id="comment-list">')
    return page[start : page.index('<div class="comment-form"', start)]


def test_the_corpus_is_large_and_varied():
    assert len(ATTACKS) >= 100
    assert len(set(ATTACKS)) == len(ATTACKS)


def test_every_attack_posted_through_the_form_is_rendered_harmless(client, settings):
    settings.COMMENTS_RATE_PER_USER = settings.COMMENTS_RATE_PER_IP = "10000/600"
    settings.COMMENTS_THREADS_PER_PAGE = 1000
    settings.COMMENTS_MAX_LENGTH = 4000
    article = ArticleFactory()
    attacker = UserFactory(role="other", display_name="<script>alert('name')</script>")
    CommentFactory.create_batch(2, author=attacker)  # trusted: most attacks publish at once
    client.force_login(attacker)
    for attack in ATTACKS:
        response = client.post(f"/articles/{article.slug}/comments/", {"body": attack})
        assert response.status_code in (302, 400), (attack, response.status_code)
    saved = Comment.objects.filter(article=article).exclude(author=None).count()
    assert saved >= len(ATTACKS) - 5  # a few are blank once stripped, and are refused

    # The author sees every one of their comments, held ones included; the public the rest.
    for viewer, expected in ((client, saved), (client.__class__(), None)):
        page = viewer.get(article.get_absolute_url())
        assert page.status_code == 200
        inspector = Inspector()
        inspector.feed(comments_fragment(page.content.decode()))
        if expected is not None:
            assert inspector.bodies == expected  # every comment was inspected
        assert inspector.problems == [], inspector.problems[:20]


def test_a_script_tag_is_shown_as_text(client):
    comment = CommentFactory(body="<script>alert(1)</script>")
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in comments_fragment(page)
