"""Text with a NUL character, or made only of invisible characters, is refused at the edge:
400 naming the field in the API, a form error on the pages, on SQLite and PostgreSQL alike
(PostgreSQL cannot store NUL, so it used to answer 500)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.models import Agent
from core.text import text_problem

INVISIBLE = ["\u200b", "\u200b\u200c\u200d", "\ufeff", "\u2060", "\u00a0\u200b", "\u0301"]


@pytest.mark.parametrize("value", ["Refund triage", "", "a\u200bb", "Zoë", "日本", "😀"])
def test_visible_text_is_fine(value):
    assert text_problem(value) is None


@pytest.mark.parametrize("value", ["\x00", "Refund\x00triage", "\x00\x00"])
def test_a_nul_character_is_refused(value):
    assert "NUL" in text_problem(value)


@pytest.mark.parametrize("value", INVISIBLE)
def test_text_made_only_of_invisible_characters_is_refused(value):
    assert "invisible" in text_problem(value)


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]), min_size=1))
def test_any_text_with_a_letter_digit_or_sign_and_no_nul_is_fine(value):
    assert text_problem(value) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bad\x00name", "owner": "sam"}, "name"),
        ({"name": "\u200b\u200b", "owner": "sam"}, "name"),
        (
            {
                "name": "Fine",
                "owner": "sam",
                "escalation_paths": [{"failure_state": "\x00", "owner": "sam"}],
            },
            "escalation_paths.0.failure_state",
        ),
        ({"name": "Fine", "owner": "sam", "purpose": "\ufeff"}, "purpose"),
    ],
)
def test_the_api_refuses_nul_and_invisible_text_naming_the_field(assessor, api_for, body, field):
    response = api_for(assessor).post("/api/v1/agents", body)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Agent.objects.exists()


def test_the_api_refuses_a_nul_in_a_gate_rationale(assessor, approver, api_for):
    agent = api_for(assessor).post("/api/v1/agents", {"name": "A", "owner": "sam"}).json()

    response = api_for(approver).post(
        f"/api/v1/agents/{agent['id']}/gates/1/decisions",
        {"decision": "no_go", "rationale": "No\x00"},
    )

    assert response.status_code == 400
    assert "rationale" in response.json()["errors"]


def test_the_pages_refuse_invisible_text_with_a_form_error(assessor, client_for):
    response = client_for(assessor).post(
        "/agents/new/", {"name": "\u200b\u200b", "owner": "sam", "purpose": "x"}
    )

    assert response.status_code == 400
    assert "invisible" in str(response.context["form"].errors["name"])
    assert not Agent.objects.exists()
