"""The assessment pages: home, list, new, steps with the live result, result page, submit."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Assessment
from tests.conftest import scores_of
from tests.factories import AgentFactory, AssessmentFactory, SuspensionFactory

# --------------------------------------------------------------------------- helpers


def _draft(membership, title="Q3 review", scores=None):
    return AssessmentFactory(
        organization=membership.organization,
        created_by=membership.user,
        title=title,
        scores=scores,
    )


def _submitted(membership, values=(4, 4, 3, 3), title="Q2 review"):
    return AssessmentFactory(
        submitted=True,
        organization=membership.organization,
        created_by=membership.user,
        title=title,
        scores=scores_of(*values),
    )


def _bulk(org, user, framework, count: int) -> None:
    """`count` assessments (every third a draft with 7 scores, the rest submitted and complete,
    all scored 4), created one hour apart."""
    start = timezone.now() - timedelta(days=30)
    keys = list(framework.criteria_by_key)
    for n in range(count):
        created = start + timedelta(hours=n)
        given = {"organization": org, "framework": framework, "created_by": user}
        given |= {"title": f"Assessment {n:02d}", "created_at": created}
        if n % 3 == 0:
            AssessmentFactory(**given, scores=dict.fromkeys(keys[:7], 4))
        else:
            submitted_at = created + timedelta(minutes=5)
            AssessmentFactory(
                **given, submitted=True, submitted_at=submitted_at, scores=dict.fromkeys(keys, 4)
            )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _text(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- home


@pytest.mark.django_db
def test_anonymous_home_redirects_to_sign_in(client):
    # When someone signed out opens the home page
    response = client.get("/")

    # Then they are sent to sign in, and back afterwards
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_home_without_submitted_assessment_shows_empty_state(assessor, client_for, framework):
    # Given only a draft
    _draft(assessor, title="Unfinished")

    # When the assessor opens the home page
    response = client_for(assessor).get("/")

    # Then it says nothing is submitted yet and offers to start one
    html = _text(response)
    assert response.status_code == 200
    assert "No assessment submitted yet — start one" in html
    assert 'href="/assessments/new/"' in html
    assert "Unfinished" in html  # the draft is listed under recent assessments


def test_home_empty_state_tells_a_viewer_who_can_start(viewer, client_for, framework):
    html = _text(client_for(viewer).get("/"))

    assert "No assessment submitted yet — start one" in html
    assert "Ask an assessor" in html
    assert 'href="/assessments/new/"' not in html


def test_home_shows_latest_verdict_total_reasons_and_chart(assessor, client_for, framework):
    # Given an older ready assessment and a newer blocked one
    _submitted(assessor, values=(4, 4, 4, 4), title="Spring")
    _submitted(assessor, values=(5, 5, 5, 2), title="Summer")

    # When the home page is opened
    html = _text(client_for(assessor).get("/"))

    # Then it shows the latest: its verdict, total, reasons, and the charts
    assert "Summer" in html
    assert 'class="badge verdict-blocked fs-5">Blocked<' in html
    assert '17<span class="text-muted fs-6">/20</span>' in html
    assert "Data quality controls scores 2, below the minimum of 3" in html
    assert 'id="dimension-chart-title"' in html
    assert 'id="trend-chart-title"' in html  # two submitted: the trend is drawn
    assert 'href="/assessments/"' in html


# --------------------------------------------------------------------------- list


def test_list_empty_state(assessor, client_for, framework):
    html = _text(client_for(assessor).get("/assessments/"))

    assert "No assessments yet" in html
    assert "Start the first assessment" in html


def test_list_is_newest_first_and_paginated_by_20(assessor, client_for, framework):
    # Given 45 assessments
    _bulk(assessor.organization, assessor.user, framework, 45)
    client = client_for(assessor)

    # When the first and the last pages are read
    first = _text(client.get("/assessments/"))
    last = _text(client.get("/assessments/?page=3"))

    # Then the newest come first, 20 a page, and the last page holds the oldest 5
    assert first.index("Assessment 44") < first.index("Assessment 43")
    assert "Assessment 25" in first
    assert "Assessment 24" not in first
    assert first.count('<a class="fw-semibold" href="/assessments/') == 20
    assert last.count('<a class="fw-semibold" href="/assessments/') == 5
    assert "Assessment 00" in last
    assert "Page 3 of 3" in last


def test_list_page_out_of_range_shows_the_last_page(assessor, client_for, framework):
    _bulk(assessor.organization, assessor.user, framework, 21)

    html = _text(client_for(assessor).get("/assessments/?page=99"))

    assert "Page 2 of 2" in html


def test_list_row_shows_badges_progress_total_and_people(assessor, client_for, framework):
    # Given a draft with 4 scores and a submitted blocked assessment
    _draft(assessor, title="Draft one", scores=dict(list(scores_of(3, 3, 3, 3).items())[:4]))
    _submitted(assessor, values=(5, 5, 5, 2), title="Done one")

    html = _text(client_for(assessor).get("/assessments/"))

    assert "4 of 12 scored" in html
    assert 'class="badge verdict-draft">Draft<' in html
    assert 'class="badge verdict-blocked">Blocked<' in html
    assert ">17</span>" in html
    assert "sam" in html
    assert "New assessment" in html


def test_list_hides_new_button_from_non_assessors(viewer, client_for, framework):
    html = _text(client_for(viewer).get("/assessments/"))

    assert "New assessment" not in html


def test_list_query_count_does_not_grow_with_assessments(
    assessor, client_for, framework, django_assert_max_num_queries
):
    # Given 3 assessments, then 60
    client = client_for(assessor)
    _bulk(assessor.organization, assessor.user, framework, 3)
    few = _queries(client, "/assessments/")
    Assessment.objects.all().delete()
    _bulk(assessor.organization, assessor.user, framework, 60)

    # When the list is read, then the number of queries stays the same
    with django_assert_max_num_queries(few):
        response = client.get("/assessments/")
    assert response.status_code == 200
    assert _queries(client, "/assessments/?page=3") == few


def test_titles_are_escaped(assessor, client_for, framework):
    _submitted(assessor, title="<script>alert(1)</script>")
    _submitted(assessor, title="<b>second</b>")
    client = client_for(assessor)

    for url in ["/", "/assessments/", f"/assessments/{Assessment.objects.first().pk}/"]:
        html = _text(client.get(url))
        assert "<script>alert(1)</script>" not in html
        assert "<b>second</b>" not in html


# --------------------------------------------------------------------------- new


def test_new_blank_creates_a_draft_and_opens_step_1(assessor, client_for, framework):
    # When an assessor creates a blank assessment
    response = client_for(assessor).post(
        "/assessments/new/", {"title": "Q3 review", "start": "blank"}
    )

    # Then a draft without scores exists and the first step opens
    assessment = Assessment.objects.get()
    assert assessment.title == "Q3 review"
    assert assessment.is_draft
    assert assessment.scores.count() == 0
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{assessment.pk}/step/1/"


def test_new_copy_starts_from_the_last_submitted_assessment(assessor, client_for, framework):
    # Given a submitted assessment
    source = _submitted(assessor, values=(5, 4, 3, 3), title="Q2 review")
    client = client_for(assessor)
    page = _text(client.get("/assessments/new/"))
    assert "“Q2 review”" in page

    # When a new one is started from it
    response = client.post("/assessments/new/", {"title": "Q3 review", "start": "copy"})

    # Then it is a draft with the same scores
    copy = Assessment.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302
    assert copy.is_draft
    assert copy.score_map == source.score_map


def test_new_copy_without_any_submitted_shows_the_error_beside_the_choice(
    assessor, client_for, framework
):
    client = client_for(assessor)
    # Given no submitted assessment: the copy option is disabled and explained
    page = _text(client.get("/assessments/new/"))
    assert re.search(r'value="copy"[^>]*\bdisabled>', page)
    assert "Nothing to copy yet" in page

    # When a copy is asked for anyway
    response = client.post("/assessments/new/", {"title": "Q3 review", "start": "copy"})

    # Then nothing is created and the service's reason shows at the field
    assert response.status_code == 400
    assert Assessment.objects.count() == 0
    assert "There is no submitted assessment to copy yet: start blank." in _text(response)


def test_new_without_title_asks_for_one(assessor, client_for, framework):
    response = client_for(assessor).post("/assessments/new/", {"title": "  ", "start": "blank"})

    assert response.status_code == 400
    assert Assessment.objects.count() == 0
    assert "This field is required." in _text(response)


# --------------------------------------------------------------------------- steps


def test_step_shows_the_dimension_rubric_and_saved_scores(assessor, client_for, framework):
    # Given a draft where ownership is scored 4
    assessment = _draft(assessor, scores={"ownership": 4})

    # When step 1 is opened
    html = _text(client_for(assessor).get(f"/assessments/{assessment.pk}/step/1/"))

    # Then it shows governance's three criteria with levels 1, 3 and 5 and the saved score
    assert "Step 1 of 4: Governance maturity" in html
    assert "Decision boundaries and escalation paths" in html
    assert "Owners for most agents, informal." in html
    assert "Agents share broad credentials." in html
    assert 'value="4" autocomplete="off" id="id_ownership_3" checked' in html
    assert f'name="version" value="{assessment.version}"' in html
    assert f'hx-post="/assessments/{assessment.pk}/preview/"' in html
    assert "1/3" in html  # the step nav counts what is scored
    assert 'id="live-result"' in html


def test_step_save_stores_the_chosen_scores_and_continues(assessor, client_for, framework):
    assessment = _draft(assessor)
    client = client_for(assessor)

    # When two of governance's criteria are chosen and saved
    response = client.post(
        f"/assessments/{assessment.pk}/step/1/",
        {"version": assessment.version, "ownership": "5", "least_privilege": "2", "go": "next"},
    )

    # Then those two are saved, the third stays unscored, and step 2 opens
    assessment.refresh_from_db()
    assert response["Location"] == f"/assessments/{assessment.pk}/step/2/"
    assert assessment.score_map == {"ownership": 5, "least_privilege": 2}


def test_step_back_saves_and_goes_back_and_last_step_goes_to_review(
    assessor, client_for, framework
):
    assessment = _draft(assessor)
    client = client_for(assessor)
    url = f"/assessments/{assessment.pk}/step/"

    back = client.post(f"{url}2/", {"version": 2 - 1, "guardrails": "3", "go": "back"})
    version = Assessment.objects.get().version
    last = client.post(f"{url}4/", {"version": version, "drift_detection": "4", "go": "review"})

    assert back["Location"] == f"{url}1/"
    assert last["Location"] == f"/assessments/{assessment.pk}/"
    assert Assessment.objects.get().score_map == {"guardrails": 3, "drift_detection": 4}


def test_step_out_of_range_is_404(assessor, client_for, framework):
    assessment = _draft(assessor)

    assert client_for(assessor).get(f"/assessments/{assessment.pk}/step/5/").status_code == 404
    assert client_for(assessor).get(f"/assessments/{assessment.pk}/step/0/").status_code == 404


def test_step_rejects_a_score_out_of_range(assessor, client_for, framework):
    assessment = _draft(assessor)

    response = client_for(assessor).post(
        f"/assessments/{assessment.pk}/step/1/", {"version": 1, "ownership": "7"}
    )

    assert response.status_code == 400
    assert Assessment.objects.get().score_map == {}


def test_stale_version_is_refused_and_the_other_save_is_kept(
    assessor, make_member, org, client_for, framework
):
    # Given two assessors who opened step 1 of the same draft at version 1
    colleague = make_member(org, "assessor", username="kim")
    assessment = _draft(assessor)
    opened = assessment.version
    url = f"/assessments/{assessment.pk}/step/1/"

    # When the colleague saves first
    first = client_for(colleague).post(url, {"version": opened, "ownership": "4", "go": "next"})
    assert first.status_code == 302

    # And the assessor saves afterwards on the version they opened
    second = client_for(assessor).post(
        url, {"version": opened, "ownership": "2", "least_privilege": "3", "go": "next"}
    )

    # Then the second save is refused with a clear message and shows the colleague's scores
    html = _text(second)
    assert second.status_code == 409
    assert "Someone else saved this assessment since you opened it" in html
    assert "yours were not saved — re-enter them" in html
    assert 'value="4" autocomplete="off" id="id_ownership_3" checked' in html
    assert "yours <strong>2</strong>, saved now <strong>4</strong>" in html
    assessment.refresh_from_db()
    assert f'name="version" value="{assessment.version}"' in html  # re-entering now works
    # And nothing either saved is lost: the colleague's score stands, nothing of the second
    assert assessment.score_map == {"ownership": 4}

    # When the assessor re-enters on the fresh form, the save goes through
    third = client_for(assessor).post(
        url, {"version": assessment.version, "ownership": "2", "least_privilege": "3"}
    )
    assert third.status_code == 302
    assert Assessment.objects.get().score_map == {"ownership": 2, "least_privilege": 3}


def test_unchanged_step_does_not_bump_the_version(assessor, client_for, framework):
    assessment = _draft(assessor, scores={"ownership": 4})
    version = assessment.version

    response = client_for(assessor).post(
        f"/assessments/{assessment.pk}/step/1/", {"version": version, "ownership": "4"}
    )

    assert response.status_code == 302
    assert Assessment.objects.get().version == version


def test_preview_returns_the_result_partial_without_saving(assessor, client_for, framework):
    # Given a draft with every criterion but the last scored, data quality at 2, 2
    scores = scores_of(5, 5, 5, 2)
    del scores["test_data"]
    assessment = _draft(assessor, scores=scores)
    version = assessment.version

    # When the last criterion is chosen (not saved) and the preview asked for
    response = client_for(assessor).post(
        f"/assessments/{assessment.pk}/preview/",
        {"version": version, "data_monitoring": "2", "drift_detection": "2", "test_data": "2"},
        headers={"HX-Request": "true"},
    )

    # Then the partial shows the complete result with the unsaved choice counted
    html = _text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="live-result"')
    assert "<html" not in html
    assert "includes unsaved choices" in html
    assert "12 of 12 criteria scored" in html
    assert "Total 17/20" in html
    assert "Blocked" in html
    assert (
        "Raise Production data quality monitoring 2 → 5: Data quality controls goes from 2 to 3."
    ) in html
    assert "The total goes from 17 to 18." in html
    assert "3 criterion points across 1 criterion" in html
    # And nothing was saved
    assessment.refresh_from_db()
    assert assessment.version == version
    assert "test_data" not in assessment.score_map


def test_preview_ignores_values_that_are_not_scores(assessor, client_for, framework):
    assessment = _draft(assessor)

    response = client_for(assessor).post(
        f"/assessments/{assessment.pk}/preview/", {"ownership": "9", "tracing": "x"}
    )

    assert "0 of 12 criteria scored" in _text(response)
    assert "from saved scores" in _text(response)


def test_preview_answers_only_post(assessor, client_for, framework):
    assessment = _draft(assessor)

    # a GET of the preview (a form's target) leads back to the assessment (core.middleware)
    response = client_for(assessor).get(f"/assessments/{assessment.pk}/preview/")
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{assessment.pk}/"


# --------------------------------------------------------------------------- submit, result


def test_submit_incomplete_lists_the_unscored_criteria_with_links(assessor, client_for, framework):
    # Given a draft missing two criteria
    scores = scores_of(3, 3, 3, 3)
    del scores["guardrails"], scores["test_data"]
    assessment = _draft(assessor, scores=scores)

    # When it is submitted
    response = client_for(assessor).post(f"/assessments/{assessment.pk}/submit/", follow=True)

    # Then it stays a draft and the message names each missing criterion with a link to its step
    html = _text(response)
    assert Assessment.objects.get().is_draft
    assert "Not submitted: score every criterion first. 2 criteria are still unscored" in html
    assert f'href="/assessments/{assessment.pk}/step/2/#criterion-guardrails"' in html
    assert "Guardrails and budget limits</a> (step 2)" in html
    assert f'href="/assessments/{assessment.pk}/step/4/#criterion-test_data"' in html
    assert "Test data representativeness" in html


def test_submit_complete_shows_verdict_reasons_and_the_way_to_ready(
    assessor, client_for, framework
):
    # Given a complete draft scoring 5, 5, 5, 2 per dimension
    assessment = _draft(assessor, scores=scores_of(5, 5, 5, 2))

    # When it is submitted (through the confirm step)
    response = client_for(assessor).post(
        f"/assessments/{assessment.pk}/submit/", {"confirm": "yes"}, follow=True
    )

    # Then it is blocked by data quality, and the page says what would make it ready
    html = _text(response)
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert assessment.verdict == "blocked"
    assert "Submitted. Verdict: Blocked, total 17/20." in html
    assert 'class="badge verdict-blocked fs-5">Blocked<' in html
    assert (
        "Data quality controls scores 2, below the minimum of 3 that every dimension needs"
    ) in html
    assert "The smallest change that makes you ready" in html
    assert (
        "Raise Production data quality monitoring 2 → 5: <strong>Data quality controls</strong> "
        "goes from 2 to 3."
    ) in html
    assert "The total goes from 17 to 18 (of 20), with every dimension at 3 or more: ready." in html
    assert "3 criterion points across 1 criterion" in html
    for name in ["Governance maturity", "Infrastructure robustness", "Observability coverage"]:
        assert name in html
    assert 'id="dimension-chart-title"' in html
    assert "Submit assessment" not in html


def test_ready_result_has_no_way_to_ready(assessor, client_for, framework):
    assessment = _submitted(assessor, values=(3, 3, 4, 4))

    html = _text(client_for(assessor).get(f"/assessments/{assessment.pk}/"))

    assert 'class="badge verdict-ready fs-5">Ready<' in html
    assert "ready for production" in html
    assert "The smallest change that makes you ready" not in html


def test_result_page_shows_the_rubric_of_each_chosen_level(assessor, client_for, framework):
    values = scores_of(3, 3, 3, 3) | {"ownership": 5, "tracing": 2}
    assessment = _submitted(assessor, values=tuple(values.values()))

    html = _text(client_for(assessor).get(f"/assessments/{assessment.pk}/"))

    assert "Every agent has a named owner in a registry, reviewed quarterly." in html
    assert "Between 1 (“None.”) and 3 (“Logs per service.”)" in html


def test_submitted_assessment_is_read_only(assessor, client_for, framework):
    # Given a submitted assessment
    assessment = _submitted(assessor)
    before = (assessment.score_map, assessment.version)
    client = client_for(assessor)

    # When a step is posted to it
    response = client.post(
        f"/assessments/{assessment.pk}/step/1/",
        {"version": assessment.version, "ownership": "1"},
        follow=True,
    )

    # Then it answers with the result page and a message, and nothing changes
    assert response.redirect_chain[-1][0] == f"/assessments/{assessment.pk}/"
    assert "This assessment is submitted and read-only: nothing was saved." in _text(response)
    fresh = Assessment.objects.get()
    assert (fresh.score_map, fresh.version) == before
    # And its pages offer no edit links nor submit button
    page = _text(client.get(f"/assessments/{assessment.pk}/"))
    assert f"/assessments/{assessment.pk}/step/" not in page
    assert "Submit assessment" not in page
    # And opening a step goes to the result
    step = client.get(f"/assessments/{assessment.pk}/step/1/")
    assert step["Location"] == f"/assessments/{assessment.pk}/"


def test_submitting_twice_answers_with_a_message(assessor, client_for, framework):
    assessment = _submitted(assessor)

    response = client_for(assessor).post(f"/assessments/{assessment.pk}/submit/", follow=True)

    assert "This assessment is submitted and read-only." in _text(response)


def test_result_and_home_query_counts_do_not_grow_with_assessments(
    assessor, client_for, framework, django_assert_max_num_queries
):
    # Given 3 assessments, then 63
    client = client_for(assessor)
    _bulk(assessor.organization, assessor.user, framework, 3)
    url = f"/assessments/{Assessment.objects.filter(status='submitted').first().pk}/"
    few = _queries(client, url)
    few_home = _queries(client, "/")
    _bulk(assessor.organization, assessor.user, framework, 60)
    url = f"/assessments/{Assessment.objects.filter(status='submitted').last().pk}/"

    # When the result page and the home page are read, the number of queries stays the same
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(few_home):
        assert client.get("/").status_code == 200


# --------------------------------------------------------------------------- roles, tenancy


def test_viewer_reads_a_step_but_cannot_change_anything(viewer, assessor, client_for, framework):
    assessment = _draft(assessor, scores={"ownership": 3})
    client = client_for(viewer)

    # A viewer sees the step read-only
    page = client.get(f"/assessments/{assessment.pk}/step/1/")
    assert page.status_code == 200
    assert "only an assessor can change its scores" in _text(page)
    assert "Save and continue" not in _text(page)
    assert 'id="id_ownership_0" disabled' in _text(page)

    # And every change is refused with 403, changing nothing
    assert client.get("/assessments/new/").status_code == 403
    assert client.post("/assessments/new/", {"title": "x", "start": "blank"}).status_code == 403
    step = client.post(f"/assessments/{assessment.pk}/step/1/", {"version": 2, "ownership": "5"})
    assert step.status_code == 403
    assert client.post(f"/assessments/{assessment.pk}/submit/").status_code == 403
    fresh = Assessment.objects.get()
    assert fresh.score_map == {"ownership": 3}
    assert fresh.is_draft


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/assessments/{pk}/"),
        ("get", "/assessments/{pk}/step/1/"),
        ("post", "/assessments/{pk}/step/1/"),
        ("post", "/assessments/{pk}/preview/"),
        ("post", "/assessments/{pk}/submit/"),
    ],
)
def test_another_organizations_assessment_is_404(
    method, path, assessor, other_assessor, client_for, framework
):
    # Given an assessment of acme, and a member of every role in globex
    assessment = _draft(assessor, scores=scores_of(4, 4, 4, 4))

    # When the globex member reaches for it
    response = getattr(client_for(other_assessor), method)(
        path.format(pk=assessment.pk), {"version": assessment.version, "ownership": "1"}
    )

    # Then it does not exist for them, and nothing changes
    assert response.status_code == 404
    fresh = Assessment.objects.get()
    assert fresh.is_draft
    assert fresh.score_map == scores_of(4, 4, 4, 4)


def test_another_organizations_assessments_are_not_listed(
    assessor, other_assessor, client_for, framework
):
    _submitted(assessor, title="Acme secret")

    for url in ["/", "/assessments/"]:
        assert "Acme secret" not in _text(client_for(other_assessor).get(url))


def test_home_summarises_the_agents(org, assessor, viewer, operator, client_for, make_member):
    olly = make_member(org, "assessor", username="olly")
    for name in ("One", "Two"):
        AgentFactory.register(assessor, owner=olly, name=name)
    two = AgentFactory.register(assessor, owner=olly, name="Three")
    SuspensionFactory(agent=two, started_by=operator.user, reason="Odd")
    response = client_for(viewer).get("/")
    summary = response.context["agents"]
    assert summary["total"] == 3
    assert summary["per_phase"][0] == {"phase": 1, "count": 3}
    assert summary["suspended"] == 1
    assert "Open the gate board" in response.content.decode()
