"""The organization settings page: an admin sets the currency money is shown in."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services import organization_settings_update
from audit.actions import Action
from audit.models import AuditEntry
from core.errors import Forbidden, InvalidInput
from outcomes import services as outcome_services

pytestmark = pytest.mark.django_db


def test_a_new_organization_keeps_its_money_in_us_dollars(org):
    assert org.currency == "USD"


def test_an_admin_sets_the_currency_and_it_is_audited(org, admin, client_for):
    client = client_for(admin)
    assert "USD" in client.get("/organization/settings/").content.decode()

    response = client.post("/organization/settings/", {"currency": "EUR"}, follow=True)

    assert response.status_code == 200
    assert "Money is now shown in EUR." in response.content.decode()
    org.refresh_from_db()
    assert org.currency == "EUR"
    entry = AuditEntry.objects.get(action=Action.ORGANIZATION_SETTINGS_CHANGED)
    assert entry.organization == org
    assert entry.before == {"currency": "USD"}
    assert entry.after == {"currency": "EUR"}


def test_the_same_currency_again_changes_nothing_and_writes_no_entry(org, admin, client_for):
    response = client_for(admin).post("/organization/settings/", {"currency": "USD"}, follow=True)

    assert "Nothing changed in the settings." in response.content.decode()
    assert not AuditEntry.objects.filter(action=Action.ORGANIZATION_SETTINGS_CHANGED).exists()


@pytest.mark.parametrize("currency", ["", "eu", "EURO", "XYZ", "<b>", "€"])
def test_a_code_that_is_not_an_active_iso_4217_code_is_a_form_error(
    org, admin, client_for, currency
):
    response = client_for(admin).post("/organization/settings/", {"currency": currency})

    assert response.status_code == 400
    assert response.context["form"].errors["currency"]
    org.refresh_from_db()
    assert org.currency == "USD"


def test_an_empty_post_is_a_form_error_too(org, admin, client_for):
    response = client_for(admin).post("/organization/settings/", {})

    assert response.status_code == 400
    assert response.context["form"].errors["currency"]


@pytest.mark.parametrize("role", ["assessor", "approver", "operator", "viewer"])
def test_only_an_admin_may_see_or_change_the_settings(org, make_member, client_for, role):
    client = client_for(make_member(org, role, username="nonadmin"))

    assert client.get("/organization/settings/").status_code == 403
    assert client.post("/organization/settings/", {"currency": "EUR"}).status_code == 403
    org.refresh_from_db()
    assert org.currency == "USD"


def test_the_service_refuses_a_non_admin_and_a_bad_code(org, admin, viewer, other_org):
    with pytest.raises(Forbidden):
        organization_settings_update(organization=org, membership=viewer, currency="EUR")
    with pytest.raises(Forbidden):  # an admin of another organization
        organization_settings_update(organization=other_org, membership=admin, currency="EUR")
    with pytest.raises(InvalidInput) as error:
        organization_settings_update(organization=org, membership=admin, currency=42)
    assert "currency" in error.value.errors
    assert organization_settings_update(organization=org, membership=admin, currency=" gbp ")
    assert Organization.objects.get(pk=org.pk).currency == "GBP"


def test_the_members_page_links_to_the_settings(admin, client_for):
    html = client_for(admin).get("/members/").content.decode()

    assert 'href="/organization/settings/"' in html


def test_the_model_validates_the_code_and_the_database_wants_three_capitals(org):
    org.currency = "ABC"
    with pytest.raises(ValidationError):
        org.full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Organization.objects.filter(pk=org.pk).update(currency="eur")


def test_outcome_and_agent_pages_show_money_in_the_currency(org, admin, agent, client_for):
    org.currency = "EUR"
    org.save(update_fields=["currency"])
    agent.monthly_budget = 4000
    agent.save(update_fields=["monthly_budget"])

    html = client_for(admin).get(f"/agents/{agent.pk}/").content.decode()

    assert "€4,000" in html


def test_the_outcomes_page_shows_costs_in_the_currency(org, admin, assessor, agent, client_for):
    end = timezone.now().date() - timedelta(days=1)
    outcome_services.metric_snapshot_post(
        agent=agent,
        membership=assessor,
        data={
            "period_start": (end - timedelta(days=29)).isoformat(),
            "period_end": end.isoformat(),
            "tasks": 2000,
            "tasks_completed": 1900,
            "escalations": 50,
            "errors": 20,
            "cost": 2470.0,
            "avg_cycle_time_s": 60,
            "baseline_cost_per_case": 1250.0,
            "baseline_cycle_time_s": 600,
            "baseline_error_rate": 0.03,
        },
    )
    org.currency = "GBP"
    org.save(update_fields=["currency"])

    html = client_for(admin).get(f"/agents/{agent.pk}/metrics/").content.decode()

    assert "£1.30" in html  # 2,470 over 1,900 resolved cases
    assert "£1,250.00" in html  # people's cost per case, with its thousands separator
    assert "Cost per resolved case (GBP)" in html  # the chart's title
