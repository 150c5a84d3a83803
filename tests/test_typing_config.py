"""mypy's configuration (pyproject.toml): `make lint` type-checks the selectors and services
with django-stubs' plugin, under the settings the tests use, from what `.[dev]` installs."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MYPY = PYPROJECT["tool"]["mypy"]
# The rooms whose reads are checked, and the writes checked so far (issue 12, point 6).
CHECKED_SELECTORS = (
    "core",
    "audit",
    "accounts",
    "sso",
    "killswitch",
    "notifications",
    "webhooks",
    "telemetry",
    "reports",
    "agents",
)
CHECKED_SERVICES = (
    "audit/services.py",
    "audit/checkpoints.py",
    "audit/keys.py",
    "telemetry/services.py",
)


def test_mypy_runs_django_stubs_plugin_with_the_test_settings():
    assert "mypy_django_plugin.main" in MYPY["plugins"]
    settings = PYPROJECT["tool"]["django-stubs"]["django_settings_module"]
    assert settings == PYPROJECT["tool"]["pytest"]["ini_options"]["DJANGO_SETTINGS_MODULE"]


def test_the_dev_dependencies_install_django_stubs():
    dev = PYPROJECT["project"]["optional-dependencies"]["dev"]
    assert any(requirement.startswith("django-stubs") for requirement in dev)


def test_mypy_checks_the_selectors_and_services_that_are_typed():
    files = set(MYPY["files"])
    wanted = {f"{room}/selectors.py" for room in CHECKED_SELECTORS} | set(CHECKED_SERVICES)
    assert wanted <= files
    assert all((ROOT / path).is_file() for path in files)
