"""The result page keeps its two SVG charts in the fragment cache under a key of everything
they draw (assessments/page_parts.py): after a score is saved or an assessment submitted,
the page shows what it shows with an empty cache."""

import re

from django.core.cache import cache

from assessments import services
from assessments.page_parts import chart_key
from tests.conftest import scores_of


def svgs(client, assessment) -> list[str]:
    html = client.get(f"/assessments/{assessment.pk}/").content.decode()
    # the two cards whose charts are cached: the dimension chart's and the trend's
    return re.findall(r'id="(?:chart|trend)-title".*?</section>', html, flags=re.S)


def test_the_charts_follow_every_write_and_match_an_empty_cache(assessor, client_for, framework):
    client = client_for(assessor)
    draft = services.assessment_create(membership=assessor, title="Spring")
    services.assessment_set_scores(
        assessment=draft, membership=assessor, scores=scores_of(2, 3, 3, 3)
    )
    before = svgs(client, draft)
    assert len(before) == 2

    services.assessment_set_scores(
        assessment=draft, membership=assessor, scores=scores_of(5, 5, 5, 5)
    )
    after = svgs(client, draft)
    cache.clear()
    assert after == svgs(client, draft)
    assert after[0] != before[0]

    services.assessment_submit(assessment=draft, membership=assessor)
    submitted = svgs(client, draft)
    cache.clear()
    assert submitted == svgs(client, draft)
    assert submitted[1] != after[1]  # the trend now has its first assessment


def test_the_key_changes_with_a_score_and_with_the_trend(assessor, framework):
    draft = services.assessment_create(membership=assessor, title="Spring")
    services.assessment_set_scores(
        assessment=draft, membership=assessor, scores=scores_of(3, 3, 3, 3)
    )
    other = services.assessment_create(membership=assessor, title="Autumn")

    assert chart_key(draft, []) == chart_key(draft, [])
    assert chart_key(draft, []) != chart_key(draft, [other])
    assert chart_key(draft, []) != chart_key(other, [])
