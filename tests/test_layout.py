"""The house rules of docs/architecture.md that import-linter cannot check: module and app
sizes, no import of another of our apps inside a function, and a repository that stands
alone (nothing points outside it)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = (
    "readiness",
    "core",
    "audit",
    "accounts",
    "sso",
    "assessments",
    "agents",
    "killswitch",
    "gates",
    "outcomes",
    "telemetry",
    "overview",
    "reports",
    "notifications",
    "webhooks",
    "api",
)
MAX_MODULE_LINES = 500


def _modules(room: str) -> list[Path]:
    return sorted(p for p in (ROOT / room).rglob("*.py") if "migrations" not in p.parts)


def _code_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


ALL_MODULES = [p for room in ROOMS for p in _modules(room)]


def test_every_room_is_an_installed_app():
    # given the settings' apps, when compared with the rooms, then none is forgotten
    from django.conf import settings

    assert set(ROOMS) - {"readiness"} <= set(settings.INSTALLED_APPS)


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_500_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())

    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it"


def test_no_room_holds_over_a_third_of_the_code():
    sizes = {room: sum(_code_lines(p) for p in _modules(room)) for room in ROOMS}
    total = sum(sizes.values())

    too_big = {room: n for room, n in sizes.items() if n * 3 > total}

    assert not too_big, f"over a third of {total} non-blank lines: {too_big}"


def _function_imports(tree: ast.Module):
    """Imports of our rooms inside functions (not under `if TYPE_CHECKING:`)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [a.name for a in inner.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in ROOMS:
                    yield inner.lineno, name


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_of_our_rooms_inside_a_function(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))

    found = list(_function_imports(tree))

    assert not found, f"{path.relative_to(ROOT)}: import at module level instead: {found}"


def test_the_function_import_check_would_catch_one():
    tree = ast.parse("def f():\n    from gates.models import Gate\n    return Gate\n")

    assert list(_function_imports(tree)) == [(2, "gates.models")]


def _tracked_text_files():
    skip = {".venv", ".git", "node_modules", "static", "var"}
    for path in ROOT.rglob("*"):
        if skip & set(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix in {".py", ".md", ".html", ".toml", ".yml", ".yaml", ".cfg", ".txt"} or (
            path.name in {"Makefile", "Dockerfile"}
        ):
            yield path


def test_nothing_points_outside_the_repository():
    # the rules and the API contract are written up in docs/; a clone has nothing beside it
    # spelled in pieces, so that this test does not find itself
    folder, spec, api = "shared", "SPEC", "API"
    outside = (f"../{folder}", f"{folder}/{spec}", f"{folder}/{api}", f"{spec}.md", f"{api}.md")
    outside += (f"{spec} §",)
    offenders = [
        str(path.relative_to(ROOT))
        for path in _tracked_text_files()
        if any(word in path.read_text(encoding="utf-8") for word in outside)
    ]

    assert not offenders, f"point into docs/ instead: {offenders}"


# Views, API handlers, the admin site and tasks read through selectors and write through
# services: none of them touches a model manager (issue "One way through every request").
THIN_MODULES = [
    p
    for p in ALL_MODULES
    if p.name in ("views.py", "tasks.py", "admin.py")
    or p.name.endswith("_views.py")
    or p.parent.name == "api"
]


def _manager_uses(tree: ast.Module) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager")
    ]


@pytest.mark.parametrize("path", THIN_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_api_handlers_and_tasks_never_touch_a_model_manager(path):
    found = _manager_uses(ast.parse(path.read_text(encoding="utf-8")))

    assert not found, f"{path.relative_to(ROOT)} lines {found}: read with a selector instead"


def test_the_manager_check_would_catch_one():
    tree = ast.parse("def view(request):\n    return Agent.objects.all()\n")

    assert _manager_uses(tree) == [2]
    assert len(THIN_MODULES) > 20
