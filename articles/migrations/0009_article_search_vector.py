# The search vector, stored and indexed, on PostgreSQL only. PostgreSQL keeps it up to date
# itself as a generated column, on every write path (the admin, the publish service,
# bulk_create, update()), so nothing in Python can forget it. It is not a model field:
# Django never reads or writes it, and articles.selectors reaches it through
# StoredSearchVector. SQLite has no to_tsvector and searches without it, so there this
# migration does nothing.
#
# The weights and the configuration are those the search used when it built the vector per
# query (title A, standfirst B, body C, 'english'). PostgreSQL refuses to change the type of
# a column a generated column reads: a later migration that alters title, standfirst or body
# on PostgreSQL must drop search_vector first and add it again (the two functions below).
from django.db import migrations

VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(standfirst, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')"
)


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # STORAGE MAIN keeps the vector (a few kB for a long article) compressed in the row
    # rather than in the TOAST table. Out of line, the planner saw a small table, chose a
    # sequential scan over the GIN index, and every row's vector was fetched and decompressed
    # for @@; in the row, its pages count and the index is chosen.
    schema_editor.execute(
        "ALTER TABLE articles_article ADD COLUMN search_vector tsvector"
        f" GENERATED ALWAYS AS ({VECTOR}) STORED,"
        " ALTER COLUMN search_vector SET STORAGE MAIN"
    )
    schema_editor.execute(
        "CREATE INDEX article_search_vector_idx ON articles_article USING gin (search_vector)"
    )


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS article_search_vector_idx")
    schema_editor.execute("ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [("articles", "0008_medical_reviewers")]

    operations = [migrations.RunPython(add_search_vector, drop_search_vector)]
