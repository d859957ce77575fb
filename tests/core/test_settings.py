"""Settings read from .env as from the environment, VAR_DIR included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'var': str(s.VAR_DIR), 'mail': str(s.EMAIL_FILE_PATH), "
    "'db': str(s.DATABASES['default']['NAME']), 'site': s.SITE_NAME}))"
)


def _settings_with(env_file: Path, **environment) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VAR_DIR", "DATABASE_URL", "SITE_NAME", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ENV_FILE=str(env_file), **environment)
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_var_dir_from_env_file_moves_every_local_file(tmp_path):
    var = tmp_path / "elsewhere"
    env_file = tmp_path / "env"
    env_file.write_text(f"VAR_DIR={var}\nSITE_NAME=Driverline staging\n")

    seen = _settings_with(env_file)

    assert seen["var"] == str(var)
    assert seen["mail"] == str(var / "mail")
    assert seen["db"] == str(var / "driverline.sqlite3")
    assert seen["site"] == "Driverline staging"


def test_the_process_environment_wins_over_env_file(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text(f"VAR_DIR={tmp_path / 'from-file'}\n")

    seen = _settings_with(env_file, VAR_DIR=str(tmp_path / "from-environment"))

    assert seen["var"] == str(tmp_path / "from-environment")
