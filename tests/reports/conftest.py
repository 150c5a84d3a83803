import pytest

from assessments import services as assessment_services
from killswitch import services as killswitch_services
from overview import services as overview_services
from tests.conftest import scores_of


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def populated(org, assessor, approver, operator, framework):
    """Two submitted assessments (blocked, then ready) and two agents, one suspended."""
    first = assessment_services.assessment_create(membership=assessor, title="Spring review")
    assessment_services.assessment_set_scores(
        assessment=first, membership=assessor, scores=scores_of(3, 3, 2, 4)
    )
    assessment_services.assessment_submit(assessment=first, membership=assessor)
    second = assessment_services.assessment_create(
        membership=assessor, title="Autumn review", copy_from_last=True
    )
    assessment_services.assessment_set_scores(
        assessment=second, membership=assessor, scores=scores_of(4, 4, 3, 4)
    )
    assessment_services.assessment_submit(assessment=second, membership=assessor)
    refunds = overview_services.agent_create(
        membership=assessor,
        data={"name": "Refund triage", "owner": assessor.user.username, "business_unit": "Support"},
    )
    overview_services.agent_create(
        membership=assessor,
        data={"name": "<b>x</b>", "owner": assessor.user.username, "business_unit": "Finance"},
    )
    killswitch_services.agent_suspend(agent=refunds, membership=operator, reason="Refunds spiked")
    return org
