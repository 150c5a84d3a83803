"""Small pieces of the assessment pages computed in Python rather than in the templates:
the list's row times, and the keys under which the result page's two SVG charts are kept.

A chart's key is a digest of everything the chart draws (the framework, each assessment's
title, submission, total, verdict and scores), so the same inputs give the same key and
any change of them, a score saved in a draft or a new submission, gives a new one: the
fragment cache (`{% cache %}` in templates/assessments/detail.html) cannot be stale.
"""

import hashlib

from django.utils import timezone

DETAIL_PREFIX = "/assessments/"  # checked against reverse() by tests/assessments/


def moment(value) -> dict | None:
    """A time as the list shows it: ISO for the <time> element, "5 Mar 2025, 14:02" (UTC)."""
    if value is None:
        return None
    local = timezone.localtime(value)
    return {"iso": local.isoformat(), "text": f"{local.day} {local:%b %Y, %H:%M}"}


def _facts(assessment) -> tuple:
    return (
        assessment.pk,
        assessment.framework_id,
        assessment.title,
        str(assessment.submitted_at),
        assessment.total,
        assessment.verdict,
        tuple(sorted(assessment.score_map.items())),
    )


def chart_key(assessment, trend) -> str:
    """The digest of what the dimension chart (of `assessment`) and the trend chart (of the
    submitted assessments `trend`) draw."""
    state = repr(("v1", _facts(assessment), [_facts(a) for a in trend]))
    return hashlib.sha256(state.encode()).hexdigest()
