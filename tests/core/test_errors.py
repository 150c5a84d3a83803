"""A Conflict lists every reason; pages show it in one line, and branch on its codes."""

from core.errors import Conflict, ConflictReason


def test_a_conflict_reads_as_one_line_with_its_codes():
    conflict = Conflict(
        "Phase 2 cannot go yet.",
        [
            ConflictReason("unmet_items", "2 items not met."),
            ConflictReason("previous_phase_not_go", "Phase 1 is pending."),
        ],
    )

    assert conflict.text == "Phase 2 cannot go yet. 2 items not met. Phase 1 is pending."
    assert conflict.reasons_text == "2 items not met. Phase 1 is pending."
    assert conflict.codes == {"unmet_items", "previous_phase_not_go"}
