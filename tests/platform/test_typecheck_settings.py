"""Type checking needs the settings but no secret key: `mypy src` works on a fresh checkout."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from serverutil import clean_env

ROOT = Path(__file__).parents[2]


def test_the_type_checker_loads_settings_without_a_secret_key(tmp_path: Path) -> None:
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["django-stubs"][
        "django_settings_module"
    ]
    env = clean_env(tmp_path / "never-created")
    env.update(DJANGO_SETTINGS_MODULE=module, HOME=str(tmp_path))
    env.pop("XDG_DATA_HOME", None)
    del env["BITPOLL_DATA_DIR"]
    # What django-stubs' plugin does: import the settings and populate the apps.
    script = "import django; django.setup(); from django.conf import settings; print(settings.ROOT_URLCONF)"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "bitpoll.urls"
    assert not (tmp_path / ".local").exists()  # and it wrote nothing


def test_the_real_settings_still_refuse_to_run_without_a_key(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", DJANGO_SETTINGS_MODULE="bitpoll.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import bitpoll.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "no secret key" in result.stderr
