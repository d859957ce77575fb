"""Search on PostgreSQL: the stored, GIN-indexed vector that migration 0007 adds.

PostgreSQL only (CI runs it): SQLite has no to_tsvector and keeps its word-match search,
which tests/articles/test_search.py covers on both.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import drafts
from articles.models import Article, ArticleRevision
from articles.revisions import article_revision_save
from articles.selectors import article_search
from articles.services import article_revision_publish, article_unpublish
from tests.articles.test_revisions import save
from tests.factories import ArticleFactory, CommentFactory, UserFactory, approve

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the stored search vector exists on PostgreSQL only (CI runs it)",
    ),
]


def titles(query: str) -> list[str]:
    return [article.title for article in article_search(query=query)]


def test_the_migration_adds_a_generated_search_vector_with_a_gin_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type, is_generated, generation_expression FROM information_schema.columns"
            " WHERE table_name = 'articles_article' AND column_name = 'search_vector'"
        )
        data_type, generated, expression = cursor.fetchone()
        cursor.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'articles_article'::regclass AND attname = 'search_vector'"
        )
        (storage,) = cursor.fetchone()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'articles_article'"
            " AND indexname = 'article_search_vector_idx'"
        )
        (index,) = cursor.fetchone()
    assert (data_type, generated) == ("tsvector", "ALWAYS")
    assert storage == "m"  # MAIN: in the row, so the planner counts it (see the migration)
    for column, weight in (("title", "A"), ("standfirst", "B"), ("body", "C")):
        assert f"COALESCE({column}" in expression
        assert f"'{weight}'" in expression
    assert "USING gin (search_vector)" in index


def test_a_title_match_outranks_a_standfirst_match_outranks_a_body_match():
    now = timezone.now()
    # The newest article has the word only in its body: date order alone would put it first.
    ArticleFactory(title="In the body", body="Osimertinib again.", published_at=now)
    ArticleFactory(
        title="In the standfirst",
        standfirst="Osimertinib after progression.",
        published_at=now - timedelta(days=1),
    )
    ArticleFactory(title="Osimertinib in the title", published_at=now - timedelta(days=2))
    ArticleFactory(title="Not about it", body="Chemotherapy only.")
    assert titles("osimertinib") == ["Osimertinib in the title", "In the standfirst", "In the body"]


def test_web_search_syntax_excludes_quotes_phrases_and_takes_or():
    ArticleFactory(title="NRG1 fusions in pancreatic cancer", body="Fusion positive tumours.")
    ArticleFactory(title="NRG1 fusions in lung cancer", body="Positive for a fusion, at last.")
    ArticleFactory(title="KRAS G12C", body="Sotorasib and adagrasib.")
    assert titles("NRG1 -pancreatic") == ["NRG1 fusions in lung cancer"]
    assert titles('"fusion positive"') == ["NRG1 fusions in pancreatic cancer"]
    assert sorted(titles("pancreatic OR sotorasib")) == [
        "KRAS G12C",
        "NRG1 fusions in pancreatic cancer",
    ]


def test_an_edited_article_is_found_by_its_new_words_at_once_and_not_by_its_old(client):
    # Words unlike each other, so the misspelling fallback cannot find the old one either.
    article = ArticleFactory(title="Larotrectinib for NTRK fusions")
    assert titles("larotrectinib") == ["Larotrectinib for NTRK fusions"]
    article.title = "A tumour-agnostic approval"
    article.save()
    assert titles("larotrectinib") == []
    assert titles("agnostic") == ["A tumour-agnostic approval"]
    # Any write path keeps it, an UPDATE that skips save() too: PostgreSQL generates it.
    Article.objects.filter(pk=article.pk).update(body="Repotrectinib after resistance.")
    assert titles("repotrectinib") == ["A tumour-agnostic approval"]
    assert titles("NCT02912949") == []  # the factory's old body
    page = client.get("/search/", {"q": "repotrectinib"}).content.decode()
    assert "1 result " in page  # (its snippet reads body_html, which only save() renders)


def test_a_live_articles_changes_are_found_once_published_and_its_old_words_no_more(
    client, staff_groups
):
    editor = UserFactory(is_staff=True)
    editor.groups.add(staff_groups["Editors"])
    client.force_login(editor)
    article = ArticleFactory(title="Larotrectinib for NTRK fusions")
    article_revision_save(
        article=article, by=None, note="Published", kind=ArticleRevision.Kind.PUBLICATION
    )
    save(client, article, title="A tumour-agnostic approval")
    # Saved in the admin, the changes are a draft: readers' search keeps the published words.
    assert titles("larotrectinib") == ["Larotrectinib for NTRK fusions"]
    assert titles("agnostic") == []
    approve(article)
    article_revision_publish(
        article=article, revision=drafts.article_draft(article), by=editor, kind="minor"
    )
    assert titles("agnostic") == ["A tumour-agnostic approval"]
    assert titles("larotrectinib") == []


def test_an_unpublished_article_is_never_found(client):
    ArticleFactory(title="Tucatinib draft", status=Article.Status.DRAFT, published_at=None)
    ArticleFactory(
        title="Tucatinib scheduled",
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(days=1),
    )
    withdrawn = ArticleFactory(title="Tucatinib withdrawn")
    article_unpublish(article=withdrawn)
    ArticleFactory(title="Tucatinib live")
    assert titles("tucatinib") == ["Tucatinib live"]
    page = client.get("/search/", {"q": "tucatinib"}).content.decode()
    assert "1 result " in page
    for hidden in ("Tucatinib draft", "Tucatinib scheduled", "Tucatinib withdrawn"):
        assert hidden not in page


def test_search_queries_are_few_and_do_not_grow_or_join_with_comments(client):
    articles = [ArticleFactory(title=f"Amivantamab trial {n}") for n in range(3)]
    with CaptureQueriesContext(connection) as few:
        assert client.get("/search/", {"q": "amivantamab"}).status_code == 200
    for article in articles:
        CommentFactory.create_batch(15, article=article)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/search/", {"q": "amivantamab"}).content.decode()
    assert "15 comments" in page
    assert len(many) == len(few) <= 5  # exists, count, the page, its topics (and the session)
    searches = [q["sql"] for q in many.captured_queries if "search_vector" in q["sql"]]
    assert len(searches) == 3
    for sql in searches:
        assert "to_tsvector" not in sql
        assert 'JOIN "comments_comment"' not in sql
        assert 'GROUP BY "articles_article"' not in sql


def test_the_search_uses_the_gin_index_and_builds_no_vector_per_row():
    Article.objects.bulk_create(
        Article(
            title=f"Topic {n}: liquid biopsy and tumour DNA",
            slug=f"bulk-{n}",
            standfirst="Circulating tumour DNA in plasma.",
            body=f"Serial plasma samples, patient group {n}, minimal residual disease.",
            body_html="<p>Serial plasma samples.</p>",
            status=Article.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=1),
        )
        for n in range(600)
    )
    ArticleFactory(title="Selpercatinib for RET fusions")
    with connection.cursor() as cursor:
        # As autovacuum would: new rows wait in the GIN index's pending list until then, and
        # the planner prices that list in (VACUUM cannot run inside the test's transaction).
        cursor.execute("SELECT gin_clean_pending_list('article_search_vector_idx')")
        cursor.execute("ANALYZE articles_article")
    plan = article_search(query="selpercatinib").explain()
    assert "article_search_vector_idx" in plan
    assert "to_tsvector" not in plan
    assert titles("selpercatinib") == ["Selpercatinib for RET fusions"]
