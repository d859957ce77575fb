# pg_trgm for the search's tolerance of misspelt names. TrigramExtension does nothing on
# databases other than PostgreSQL, so SQLite migrates past it.
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_staff_groups")]

    operations = [TrigramExtension()]
