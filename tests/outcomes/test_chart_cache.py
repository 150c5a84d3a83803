"""The outcomes page's charts are kept in the cache (outcomes/chart_cache.py) and are never
stale: after each write that changes what they draw, the page shows what drawing them afresh
shows."""

import re

import pytest
from django.template.loader import render_to_string

from outcomes import chart_cache, charts
from outcomes import services as ms
from outcomes.selectors import snapshot_series
from overview import services as overview_services


@pytest.fixture
def agent(assessor, make_member, org):
    make_member(org, "viewer", username="olga")
    return overview_services.agent_create(
        membership=assessor,
        data={"name": "Refund bot", "business_unit": "Support", "owner": "olga"},
    )


def snapshot(month: int, **overrides) -> dict:
    return {
        "period_start": f"2026-{month:02}-01",
        "period_end": f"2026-{month:02}-28",
        "tasks": 100,
        "tasks_completed": 95,
        "escalations": 5,
        "errors": 2,
        "cost": 190.0,
        "avg_cycle_time_s": 60.0,
        "baseline_cost_per_case": 4.0,
        "baseline_cycle_time_s": 240.0,
        "baseline_error_rate": 0.05,
        **overrides,
    }


def drawn_afresh(agent) -> str:
    points = snapshot_series(agent=agent)
    thresholds = ms.thresholds_of(agent)
    rates = render_to_string(
        "outcomes/partials/rates_chart.svg.html", {"chart": charts.rates_chart(points, thresholds)}
    )
    baseline = render_to_string(
        "outcomes/partials/baseline_chart.svg.html",
        {"chart": charts.baseline_chart(points, currency=agent.organization.currency)},
    )
    return rates + baseline


def charts_on_page(client, agent) -> str:
    html = client.get(f"/agents/{agent.pk}/metrics/").content.decode()
    svgs = re.findall(r"<svg xmlns=.*?</svg>", html, flags=re.S)
    return "".join(svgs)


def svgs_of(text: str) -> str:
    return "".join(re.findall(r"<svg xmlns=.*?</svg>", text, flags=re.S))


def test_the_page_draws_what_a_fresh_drawing_draws_after_every_write(
    agent, assessor, admin, viewer, client_for
):
    client = client_for(viewer)
    ms.metric_snapshot_post(agent=agent, membership=assessor, data=snapshot(1))
    ms.metric_snapshot_post(agent=agent, membership=assessor, data=snapshot(2))
    first = charts_on_page(client, agent)
    assert first.count("<svg") == 2  # the rates and the baseline charts
    assert first == svgs_of(drawn_afresh(agent))

    # a new snapshot: a new point
    ms.metric_snapshot_post(agent=agent, membership=assessor, data=snapshot(3, errors=40))
    second = charts_on_page(client, agent)
    assert second != first
    assert second == svgs_of(drawn_afresh(agent))

    # new thresholds: the dashed lines move
    ms.thresholds_update(agent=agent, membership=admin, data={"alert_error_rate_max": 0.2})
    third = charts_on_page(client, agent)
    assert third != second
    assert third == svgs_of(drawn_afresh(agent))


def test_a_second_request_reads_the_charts_from_the_cache(
    agent, assessor, viewer, client_for, monkeypatch
):
    client = client_for(viewer)
    ms.metric_snapshot_post(agent=agent, membership=assessor, data=snapshot(1))
    first = charts_on_page(client, agent)

    def not_again(**kwargs):
        raise AssertionError("the charts were drawn again")

    monkeypatch.setattr(chart_cache, "snapshot_series", not_again)
    assert charts_on_page(client, agent) == first
    # a write is a new key: drawing again is what the next request must do
    ms.metric_snapshot_post(agent=agent, membership=assessor, data=snapshot(2))
    with pytest.raises(AssertionError, match="drawn again"):
        client.get(f"/agents/{agent.pk}/metrics/")


def test_two_agents_with_the_same_figures_have_keys_of_their_own(agent, assessor):
    other = overview_services.agent_create(
        membership=assessor, data={"name": "Other bot", "owner": "olga"}
    )
    for one in (agent, other):
        ms.metric_snapshot_post(agent=one, membership=assessor, data=snapshot(1))
    thresholds = ms.thresholds_of(agent)

    keys = {
        chart_cache.chart_key(agent=a, thresholds=thresholds, currency="EUR")
        for a in (agent, other)
    }

    assert len(keys) == 2
    assert chart_cache.chart_key(
        agent=agent, thresholds=thresholds, currency="EUR"
    ) != chart_cache.chart_key(agent=agent, thresholds=thresholds, currency="USD")
