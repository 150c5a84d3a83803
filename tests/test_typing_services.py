"""The services and selectors issue 12 brought under mypy (pyproject.toml's `[tool.mypy]`):
listed, so `make lint` checks them, and annotated in every signature, so it checks them
for real (an unannotated parameter is `Any` to mypy, and an unannotated function is only
partly checked)."""

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MYPY = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
TYPED = (
    "gates/selectors.py",
    "gates/services.py",
    "gates/reviews.py",
    "outcomes/services.py",
    "outcomes/selectors.py",
    "assessments/services.py",
    "agents/services.py",
    "agents/record_services.py",
    "killswitch/services.py",
    "accounts/services.py",
    "notifications/services.py",
    "notifications/selectors.py",
    "webhooks/services.py",
    "reports/services.py",
    "sso/services.py",
    "overview/services.py",
    "core/freshness.py",
    "core/page_cache.py",
)


def test_mypy_checks_the_services_and_selectors_of_issue_12():
    assert set(TYPED) <= set(MYPY["files"])


def _unannotated(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        missing = [
            p.arg
            for p in params
            if p is not None and p.annotation is None and p.arg not in ("self", "cls")
        ]
        if node.returns is None:
            missing.append("return")
        if missing:
            found.append(f"{node.name}:{node.lineno} ({', '.join(missing)})")
    return found


@pytest.mark.parametrize("path", TYPED)
def test_every_function_is_annotated(path):
    tree = ast.parse((ROOT / path).read_text())
    assert _unannotated(tree) == []


@pytest.mark.parametrize("path", TYPED)
def test_every_type_ignore_names_its_code(path):
    """A bare `# type: ignore` hides every error of its line; one with a code hides one."""
    text = (ROOT / path).read_text()
    assert re.findall(r"#\s*type:\s*ignore(?!\[)", text) == []
