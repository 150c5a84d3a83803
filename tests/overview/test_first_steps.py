"""A new organization's overview says what is missing before work can flow: an active
approver, an active operator, a submitted assessment; and who can fix each (docs/my-work.md)."""

import pytest

from overview.work_selectors import first_steps
from tests.factories import AssessmentFactory

PANEL = 'id="first-steps"'


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_organization_misses_all_three_and_an_admin_is_sent_to_the_members_page(
    admin, client_for
):
    html = home(client_for(admin))

    assert "Before work can flow" in html
    for missing in ("missing-approver", "missing-operator", "missing-assessment"):
        assert f'id="{missing}"' in html
    assert "Give a member the approver role" in html
    assert "Give a member the operator role" in html
    assert 'href="/members/#invite-member"' in html
    assert "give a member the assessor role" in html  # an admin alone cannot start one


def test_an_assessor_is_offered_to_start_an_assessment_and_told_who_gives_roles(
    assessor, client_for
):
    html = home(client_for(assessor))

    assert 'id="missing-assessment"' in html
    assert 'href="/assessments/new/">Start an assessment</a>' in html
    assert "An admin of Acme Robotics gives someone the approver role." in html
    assert "Give a member the approver role" not in html


def test_a_viewer_is_told_who_can_fix_each(viewer, client_for):
    html = home(client_for(viewer))

    assert "An admin of Acme Robotics gives someone the operator role." in html
    assert "An assessor of Acme Robotics starts one." in html
    assert "/members/" not in html.split(PANEL)[1].split("</section>")[0]


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        (("approver",), ("operator", "assessment")),
        (("operator",), ("approver", "assessment")),
        (("assessment",), ("approver", "operator")),
        (("approver", "operator"), ("assessment",)),
        (("approver", "assessment"), ("operator",)),
        (("operator", "assessment"), ("approver",)),
    ],
)
def test_each_missing_piece_is_named_alone(
    org, admin, assessor, make_member, client_for, framework, present, missing
):
    if "approver" in present:
        make_member(org, "approver", username="april")
    if "operator" in present:
        make_member(org, "operator", username="otto")
    if "assessment" in present:
        AssessmentFactory(organization=org, created_by=assessor.user, submitted=True)

    html = home(client_for(admin))

    assert PANEL in html
    for piece in ("approver", "operator", "assessment"):
        assert (f'id="missing-{piece}"' in html) == (piece in missing)


def test_the_panel_is_hidden_once_all_are_there(
    org, admin, assessor, approver, operator, client_for, framework
):
    AssessmentFactory(organization=org, created_by=assessor.user, submitted=True)

    for member in (admin, assessor, approver, operator):
        assert PANEL not in home(client_for(member))


def test_a_draft_assessment_or_a_deactivated_approver_does_not_count(
    org, admin, assessor, approver, operator, client_for, framework
):
    AssessmentFactory(organization=org, created_by=assessor.user)  # a draft only
    approver.is_active = False
    approver.save()

    html = home(client_for(admin))

    assert 'id="missing-approver"' in html
    assert 'id="missing-assessment"' in html
    assert 'id="missing-operator"' not in html


def test_another_organizations_members_do_not_count(
    org, admin, other_assessor, client_for, framework
):
    """gus holds every role in Globex and submitted there: Acme still misses all three."""
    AssessmentFactory(
        organization=other_assessor.organization, created_by=other_assessor.user, submitted=True
    )

    html = home(client_for(admin))

    for missing in ("missing-approver", "missing-operator", "missing-assessment"):
        assert f'id="{missing}"' in html


def test_the_panel_costs_one_query(
    org, admin, assessor, approver, operator, client_for, framework, django_assert_num_queries
):
    with django_assert_num_queries(1):
        steps = first_steps(organization=org, has_submitted_assessment=False)
    assert not steps.no_approver
    assert not steps.no_operator
    assert steps.no_assessment
    assert steps.missing
