"""The four gates' checklists are data (gates/gates.json), matching docs/rules.md §2's table."""

import json

import pytest

from gates.checklists import GATES_FILE, PHASES, phase_definition, phases


def test_the_data_file_defines_exactly_the_four_phases_in_order():
    # given the versioned data file
    data = json.loads(GATES_FILE.read_text(encoding="utf-8"))

    # then it lists phases 1 to 4, once each, in order
    assert [p["phase"] for p in data["phases"]] == [1, 2, 3, 4]
    assert tuple(phases()) == PHASES == (1, 2, 3, 4)


@pytest.mark.parametrize(("phase", "count"), [(1, 5), (2, 5), (3, 4), (4, 4)])
def test_each_phase_has_the_number_of_items_of_the_spec_table(phase, count):
    assert len(phase_definition(phase).items) == count
    assert len(phase_definition(phase).keys) == count


def test_item_keys_are_unique_within_and_across_phases():
    keys = [key for p in PHASES for key in phase_definition(p).keys]

    assert len(keys) == len(set(keys)) == 18


@pytest.mark.parametrize("phase", PHASES)
def test_every_phase_and_item_has_a_non_empty_name_or_label(phase):
    definition = phase_definition(phase)

    assert definition.phase == phase
    assert definition.name.strip()
    for item in definition.items:
        assert item.key.strip()
        assert item.label.strip()
        assert item.label == item.label.strip()


@pytest.mark.parametrize("phase", PHASES)
def test_keys_are_slugs_that_fit_the_checklist_item_column(phase):
    # ChecklistItem.key is a SlugField(max_length=60)
    for key in phase_definition(phase).keys:
        assert key.replace("_", "").isalnum()
        assert key == key.lower()
        assert len(key) <= 60


@pytest.mark.parametrize("phase", PHASES)
def test_label_finds_each_items_label_by_key(phase):
    definition = phase_definition(phase)

    for item in definition.items:
        assert definition.label(item.key) == item.label


def test_the_phase_names_are_those_of_the_spec():
    assert [phase_definition(p).name for p in PHASES] == [
        "Governance and model control",
        "Prompt versioning and testing",
        "Guardrails and budget limits",
        "Monitoring, tracing and observability",
    ]


def test_an_unknown_phase_has_no_definition():
    with pytest.raises(KeyError):
        phase_definition(5)
