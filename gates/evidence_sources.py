"""Where the evidence of the higher rooms comes in (docs/adr/0008-evidence-from-higher-rooms.md).

The gates sit below the outcomes (alert thresholds, metric snapshots) and the telemetry
(spans), yet their checklist items read both. Rather than import upwards, those rooms register
a source here when Django starts (their AppConfig.ready); the gates' evidence selector asks
every source once per read, for all the agents it reads, and folds the answers into
`gates.evidence.EvidenceFacts`.

A source is `source(agents, now) -> {agent_id: {field: value}}`: bulk (a constant number of
queries whatever the number of agents), fields named as EvidenceFacts' fields, plus
`tools_seen` (tool names the runtime used lately, compared with the permissions here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

Source = Callable[[Sequence[Any], datetime], Mapping[int, Mapping[str, Any]]]

_sources: dict[str, Source] = {}


def register(name: str, source: Source) -> None:
    """Register (or replace, so that a reload stays one) the source called `name`."""
    _sources[name] = source


def contributions(agents: Sequence[Any], now: datetime) -> dict[int, dict[str, Any]]:
    """Every source's fields for each agent, merged (a later source never overrides an
    earlier one's field silently: sources own disjoint fields)."""
    merged: dict[int, dict[str, Any]] = {agent.pk: {} for agent in agents}
    if not agents:
        return merged
    for name, source in sorted(_sources.items()):
        for agent_id, fields in source(agents, now).items():
            target = merged.setdefault(agent_id, {})
            clash = set(target) & set(fields)
            if clash:
                raise RuntimeError(f"Evidence source {name} repeats fields: {sorted(clash)}")
            target.update(fields)
    return merged


def registered() -> list[str]:
    return sorted(_sources)
