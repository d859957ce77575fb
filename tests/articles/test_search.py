"""Search: highlighted snippets everywhere, and misspelt names forgiven on PostgreSQL."""

import re

import pytest
from django.db import connection

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

BODY = (
    "## Background\n\nNRG1 fusions are rare drivers found across many tumour types. "
    "In the eNRGy trial, patients whose tumours carried one were treated with zenocutuzumab, "
    "a bispecific antibody, and many responded.\n\n## What next\n\nMore trials are planned."
)


def snippets(page: str) -> list[str]:
    return re.findall(r'<p class="card__snippet">(.*?)</p>', page, re.S)


def test_results_show_a_snippet_with_the_query_terms_marked(client):
    ArticleFactory(title="A new antibody", body=BODY)
    page = client.get("/search/", {"q": "Zenocutuzumab"}).content.decode()
    (snippet,) = snippets(page)
    assert "<mark>zenocutuzumab</mark>," in snippet
    assert "bispecific antibody" in snippet
    assert snippet.startswith("… ")  # it starts near the match, not at the top of the article


def test_snippets_escape_the_article_text(client):
    ArticleFactory(body="The flag `<script>alert(1)</script>` is not a drug; zenocutuzumab is.")
    page = client.get("/search/", {"q": "zenocutuzumab <script>"}).content.decode()
    (snippet,) = snippets(page)
    assert "<script>alert" not in page
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/script&gt;" in snippet
    assert "<mark>zenocutuzumab</mark>" in snippet


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="misspelt names are forgiven with pg_trgm, on PostgreSQL only (CI runs it)",
)
def test_a_misspelt_drug_name_still_finds_the_article_on_postgresql(client):
    ArticleFactory(title="A new antibody for NRG1 fusions", body=BODY)
    ArticleFactory(title="Unrelated", body="Nothing about antibodies here.")
    page = client.get("/search/", {"q": "zenocutuzumb"}).content.decode()
    assert "1 result " in page
    assert "A new antibody for NRG1 fusions" in page
    (snippet,) = snippets(page)
    assert "<mark>zenocutuzumab</mark>," in snippet


def test_each_query_marks_its_own_words_in_the_snippets(client):
    # Snippet matchers are kept per query for the next search: one must not mark another's words.
    ArticleFactory(title="A new antibody", body=BODY)
    first = snippets(client.get("/search/", {"q": "zenocutuzumab"}).content.decode())
    second = snippets(client.get("/search/", {"q": "antibody"}).content.decode())
    again = snippets(client.get("/search/", {"q": "zenocutuzumab"}).content.decode())
    assert "<mark>zenocutuzumab</mark>" in first[0]
    assert "<mark>antibody</mark>" not in first[0]
    assert "<mark>antibody</mark>" in second[0]
    assert "<mark>zenocutuzumab</mark>" not in second[0]
    assert again == first
