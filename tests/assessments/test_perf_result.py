"""The result page and the overview read the framework's structure (dimensions, criteria)
once per request, however many assessments they show: the trend and the recent list reuse
the framework already loaded."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.assessments.test_views import _bulk


def _structure_reads(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return sum(1 for q in captured.captured_queries if 'FROM "assessments_dimension"' in q["sql"])


@pytest.mark.parametrize("page", ["result", "overview"])
def test_the_framework_structure_is_read_once(assessor, client_for, framework, page):
    # Given a draft and several submitted assessments of one framework
    _bulk(assessor.organization, assessor.user, framework, 6)
    latest = assessor.organization.assessments.order_by("-submitted_at").first()
    url = f"/assessments/{latest.pk}/" if page == "result" else "/"

    # When the page is read, then the dimensions are read in one query
    assert _structure_reads(client_for(assessor), url) == 1
