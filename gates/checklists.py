"""The four gates' checklists, read from gates/gates.json (data, not code)."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GATES_FILE = Path(__file__).resolve().parent / "gates.json"
PHASES = (1, 2, 3, 4)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str


@dataclass(frozen=True)
class PhaseDefinition:
    phase: int
    name: str
    items: tuple[ChecklistItem, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    def label(self, key: str) -> str:
        return next(item.label for item in self.items if item.key == key)


@cache
def phases() -> dict[int, PhaseDefinition]:
    data = json.loads(GATES_FILE.read_text(encoding="utf-8"))
    return {
        p["phase"]: PhaseDefinition(
            p["phase"], p["name"], tuple(ChecklistItem(i["key"], i["label"]) for i in p["items"])
        )
        for p in data["phases"]
    }


def phase_definition(phase: int) -> PhaseDefinition:
    return phases()[phase]


def short_name(name: str) -> str:
    """A gate's name as a column header: "Monitoring, tracing and observability" -> "Monitoring"."""
    return name.split(",")[0].split(" and ")[0]
