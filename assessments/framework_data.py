"""Load a framework definition (a versioned JSON file) into the database."""

import json
from pathlib import Path

FRAMEWORK_DIR = Path(__file__).resolve().parent / "frameworks"
DEFAULT_FRAMEWORK_FILE = FRAMEWORK_DIR / "default-v1.json"


def read_definition(path: Path = DEFAULT_FRAMEWORK_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def load_framework(
    framework_model, dimension_model, criterion_model, definition: dict, *, default=True
):
    """Create the framework with its dimensions and criteria unless that version exists.

    Takes the model classes so a data migration can pass its historical models.
    """
    existing = framework_model.objects.filter(
        name=definition["name"], version=definition["version"]
    ).first()
    if existing is not None:
        return existing
    if default:
        framework_model.objects.filter(is_default=True).update(is_default=False)
    framework = framework_model.objects.create(
        name=definition["name"], version=definition["version"], is_default=default
    )
    for d_pos, dim in enumerate(definition["dimensions"]):
        dimension = dimension_model.objects.create(
            framework=framework, key=dim["key"], name=dim["name"], position=d_pos
        )
        criterion_model.objects.bulk_create(
            criterion_model(
                dimension=dimension,
                key=crit["key"],
                name=crit["name"],
                position=c_pos,
                level_1=crit["levels"]["1"],
                level_3=crit["levels"]["3"],
                level_5=crit["levels"]["5"],
            )
            for c_pos, crit in enumerate(dim["criteria"])
        )
    return framework
