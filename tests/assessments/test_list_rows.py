"""The assessment list's rows join their links and format their times in Python
(assessments/page_parts.py): the same links and words the url tag and date filter gave."""

from datetime import UTC, datetime

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse

from assessments import page_parts
from tests.factories import AssessmentFactory


def test_the_detail_prefix_matches_the_url_conf(db):
    assert reverse("assessments:detail", args=[7]) == f"{page_parts.DETAIL_PREFIX}7/"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 5, 14, 2, 9, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
    ],
)
def test_times_read_as_the_date_filter_wrote_them(moment):
    shown = page_parts.moment(moment)

    assert shown["text"] == date_filter(moment, "j M Y, H:i")
    assert shown["iso"] == date_filter(moment, "c")


def test_no_time_is_none():
    assert page_parts.moment(None) is None


def test_the_list_links_each_row_and_shows_its_times(assessor, client_for, framework):
    assessment = AssessmentFactory(
        organization=assessor.organization,
        framework=framework,
        created_by=assessor.user,
        title="Spring review",
        submitted=True,
    )

    html = client_for(assessor).get("/assessments/").content.decode()

    assert f'href="/assessments/{assessment.pk}/">Spring review</a>' in html
    assert f'datetime="{date_filter(assessment.created_at, "c")}"' in html
    assert date_filter(assessment.created_at, "j M Y, H:i") in html
    assert f'datetime="{date_filter(assessment.submitted_at, "c")}"' in html
