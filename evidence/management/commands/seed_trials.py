"""`manage.py seed_trials`: the demo's recorded registry records (evidence/demo/), for trials
never fetched, so the demo shows its trial cards with no network. Safe to run again."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand

from core.datafiles import numbered_tables, read_toml, table_fields
from evidence.models import Trial
from evidence.registry import study_parse
from evidence.services import STUDY_FIELDS

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load the demo's recorded trial records for trials the registry never gave."

    def handle(self, *args, **options):
        path = DEMO_DIR / "trials.toml"
        loaded = 0
        for where, table in numbered_tables(read_toml(path), "trial", path=path, required=True):
            fields = table_fields(
                table,
                path=path,
                where=where,
                required={"nct_id": str, "as_of": date, "source": str},
            )
            if Trial.objects.filter(nct_id=fields["nct_id"], as_of__isnull=False).exists():
                continue
            record = json.loads((DEMO_DIR / f"{fields['nct_id']}.json").read_text())
            study = study_parse(record, nct_id=fields["nct_id"])
            values = {name: getattr(study, name) for name in STUDY_FIELDS}
            values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
            Trial.objects.update_or_create(
                nct_id=study.nct_id,
                defaults={
                    **values,
                    "as_of": datetime.combine(fields["as_of"], time(12), tzinfo=UTC),
                    "source": fields["source"],
                },
            )
            loaded += 1
        self.stdout.write(f"Trial records: {loaded} loaded from the demo's recordings.")
