"""The assessment list counts the organization's assessments once per request: the
paginator asks for the count before its page, and the page does not count again."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.assessments.test_views import _bulk


def test_the_list_counts_assessments_once(assessor, client_for, framework):
    # Given 25 assessments (two pages)
    _bulk(assessor.organization, assessor.user, framework, 25)
    client = client_for(assessor)

    for url in ("/assessments/", "/assessments/?page=2"):
        # When a page of the list is read
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)

        # Then one query counts the assessments
        assert response.status_code == 200
        counts = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].startswith("SELECT COUNT(*)") and "assessments_assessment" in q["sql"]
        ]
        assert len(counts) == 1, counts
