"""The audit log's sentences (audit/sentences.py): pure, one per action, with a fallback."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.actions import Action
from audit.figures import spreadsheet_safe
from audit.sentences import TOLD, Entry, Link, tell

AGENT = {"object_type": "agents.Agent", "object_id": "7", "object_label": "Refund triage"}


def _entry(action, *, before=None, after=None, **fields) -> Entry:
    values = {"actor": "ada", **AGENT, **fields}
    return Entry(action=str(action), before=before, after=after, **values)


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_its_own_sentence(action):
    # given an entry of this action with no values at all (the barest an entry can be)
    told = tell(_entry(action, label=action.label))

    # then it has words of its own, naming who acted, never the raw code
    assert action.value in TOLD
    assert told.known
    assert action.value not in told.text
    assert told.text.startswith(("ada", "A sign-in mapping", "The board report"))


def test_the_issues_example_reads_as_a_sentence_linked_to_the_gate():
    told = tell(
        _entry(
            Action.GATE_DECIDED,
            actor="approver",
            object_label="Refund triage phase 2",
            before={"phase": 2, "state": "pending"},
            after={"phase": 2, "state": "go", "decision": "go", "unmet_items": []},
        )
    )

    assert told.text == "approver recorded a go on phase 2 of Refund triage"
    assert (told.lead, told.subject, told.tail) == (
        "approver recorded a go on phase 2 of ",
        "Refund triage",
        "",
    )
    assert told.link == Link("gates:gate", (7, 2))


@pytest.mark.parametrize(
    ("action", "before", "after", "text"),
    [
        (
            Action.GATE_DECIDED,
            {"phase": 4},
            {"phase": 4, "decision": "no_go", "unmet_items": ["a", "b"]},
            "ada recorded a no-go on phase 4 of Refund triage with 2 items unmet",
        ),
        (
            Action.METRICS_POSTED,
            None,
            {
                "period": ["2026-11-01", "2026-11-30"],
                "figures": {
                    "task_completion_rate": 0.9234,
                    "escalation_frequency": 0.08,
                    "error_rate": 0.0004,
                },
                "breaches": ["error_rate"],
            },
            "ada posted a metric snapshot of Refund triage for 1 Nov 2026 to 30 Nov 2026: "
            "completion 92.3\u00a0%, escalation 8.0\u00a0%, error rate < 0.1\u00a0%; "
            "crossed error rate",
        ),
        (
            Action.AGENT_THRESHOLDS_CHANGED,
            {"alert_error_rate_max": 0.1, "stabilization_weeks": 8},
            {"alert_error_rate_max": 0.15, "stabilization_weeks": 12},
            "ada changed the thresholds of Refund triage: error rate alert 10\u00a0% → "
            "15\u00a0%; stabilization weeks 8 → 12",
        ),
        (
            Action.AGENT_DRILL_ENDED,
            {"state": "suspended"},
            {"state": "active", "time_to_stop_s": 4.24},
            "ada ended the kill-switch drill on Refund triage; the runtime stopped in 4.2 s",
        ),
        (
            Action.AGENT_SUSPENDED_AUTOMATIC,
            None,
            {"kind": "automatic", "reason": "Error rate above its limit"},
            "ada suspended Refund triage automatically: Error rate above its limit",
        ),
        (
            Action.PROMPT_VERSION_POSTED,
            None,
            {"tag": "v3", "ship": False, "reasons": ["delta_above_tolerance"], "delta": 0.021},
            "ada posted prompt version “v3” of Refund triage: it may not ship "
            "(delta above tolerance), delta 2.1\u00a0%",
        ),
        (
            Action.AGENT_HORIZON_ADVANCED,
            {"horizon": "stabilization"},
            {"horizon": "scaling"},
            "ada advanced Refund triage from stabilization to scaling",
        ),
        (
            Action.AGENT_UPDATED,
            {"owner": "sam"},
            {"owner": "ada", "guardrails": {}},
            "ada changed the records of Refund triage: owner, guardrail limits",
        ),
    ],
)
def test_sentences_write_figures_as_the_pages_do(action, before, after, text):
    assert tell(_entry(action, before=before, after=after)).text == text


def test_a_report_done_by_the_worker_says_the_system_and_formats_its_size():
    told = tell(
        Entry(
            action=Action.REPORT_DONE,
            actor="system",
            by_system=True,
            object_type="reports.Report",
            object_id="12",
            object_label="Q4 board report",
            after={"sha256": "ab" * 32, "size": 1_234_567, "pages": 14},
        )
    )

    assert told.text == "The system finished the board report Q4 board report: 14 pages, 1.2 MB"
    assert told.link == Link("reports:detail", (12,))


def test_an_assessment_submitted_gives_its_total_and_verdict():
    told = tell(
        _entry(
            Action.ASSESSMENT_SUBMITTED,
            object_type="assessments.Assessment",
            object_id="3",
            object_label="Spring review",
            after={"status": "submitted", "total": 1234, "verdict": "not_ready"},
        )
    )

    assert told.text == "ada submitted the assessment Spring review: total 1,234, Not ready"
    assert told.link == Link("assessments:detail", (3,))


@pytest.mark.parametrize(
    ("action", "object_type", "link"),
    [
        (Action.MEMBER_ROLES_SET, "accounts.Membership", Link("members")),
        (Action.MEMBER_INVITED, "accounts.Invitation", Link("members")),
        (
            Action.ORGANIZATION_SETTINGS_CHANGED,
            "accounts.Organization",
            Link("organization_settings"),
        ),
        (Action.WEBHOOK_TESTED, "webhooks.Endpoint", Link("webhooks:deliveries", (5,))),
        (Action.WEBHOOK_DELETED, "webhooks.Endpoint", Link("webhooks:list")),
        (Action.SSO_MAPPING_DELETED, "sso.GroupMapping", Link("sso:mappings")),
        (Action.AGENT_RESUMED, "agents.Agent", Link("agents:detail", (5,))),
        (Action.API_TOKEN_CREATED, "accounts.ApiToken", None),
        (Action.USER_PASSWORD_CHANGED, "auth.User", None),
    ],
)
def test_links_are_built_from_the_object_type_and_id(action, object_type, link):
    entry = _entry(action, object_type=object_type, object_id="5", object_label="x")

    assert tell(entry).link == link


def test_an_object_id_that_is_not_a_number_gets_no_link():
    assert tell(_entry(Action.AGENT_RESUMED, object_id="5; drop")).link is None


def test_an_unknown_or_legacy_action_still_reads_as_words():
    told = tell(_entry("legacy.thing_happened"))

    assert not told.known
    assert told.text == "ada recorded: Legacy thing happened on Refund triage"
    assert told.link == Link("agents:detail", (7,))


def test_values_of_the_wrong_shape_do_not_break_a_sentence():
    told = tell(_entry(Action.GATE_DECIDED, before="nonsense", after=[1, 2, 3]))

    assert told.text == "ada recorded a no-go on phase None of Refund triage"


AFTER_KEYS = [
    "phase",
    "items",
    "figures",
    "error_rate",
    "roles",
    "period",
    "period_start",
    "size",
    "pages",
    "total",
    "delta",
    "time_to_stop_s",
    "email",
    "unmet_items",
    "horizon",
    "x",
]


@given(
    action=st.sampled_from([*Action.values, "x.y"]),
    before=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    ),
    after=st.dictionaries(
        st.sampled_from(AFTER_KEYS),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=5)
        | st.lists(st.integers() | st.text(max_size=12), max_size=3)
        | st.dictionaries(st.sampled_from(AFTER_KEYS), st.integers() | st.floats(), max_size=3),
    ),
)
def test_any_values_give_a_sentence(action, before, after):
    told = tell(_entry(action, before=before, after=after))

    assert told.text.startswith(("ada ", "ada's ", "A sign-in mapping ", "The board report "))
    assert told.known == (action != "x.y")


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("ada", "ada"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_that_start_like_a_formula_are_prefixed(cell, safe):
    assert spreadsheet_safe(cell) == safe
