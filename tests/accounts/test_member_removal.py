"""Removing and deactivating members: their sessions and API tokens stop working at once in
that organization; what they owned shows as needing a new owner; the last admin stays."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Membership
from accounts.services import member_remove, member_set_active
from audit.models import AuditEntry
from audit.services import audit_verify
from core.errors import Conflict, InvalidInput
from gates import services as gates_services
from overview import services as overview_services
from tests.helpers import provide_evidence


@pytest.fixture
def leaver(org, make_member):
    return make_member(org, "assessor", "viewer", username="lea")


def test_a_removed_member_loses_pages_and_api_tokens_at_once(admin, leaver, client_for, api_for):
    # given a member signed in on the pages and holding an API token
    browser, api = client_for(leaver), api_for(leaver)
    assert browser.get("/agents/board/").status_code == 200
    assert api.get("/api/v1/agents").status_code == 200

    # when an admin removes them on the members page
    response = client_for(admin).post(f"/members/{leaver.pk}/remove/")

    # then the membership and its tokens are gone, and so is their access
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=leaver.pk).exists()
    assert not ApiToken.objects.filter(membership_id=leaver.pk).exists()
    assert browser.get("/agents/board/").status_code == 403  # "you are in no organization"
    assert api.get("/api/v1/agents").status_code == 401
    entry = AuditEntry.objects.get(action="member.removed")
    assert entry.before == {"member": "lea", "roles": ["assessor", "viewer"], "active": True}
    assert entry.actor == admin.user
    assert audit_verify() == []


def test_unticking_every_role_removes_the_member(admin, leaver, client_for, api_for):
    api = api_for(leaver)

    response = client_for(admin).post(f"/members/{leaver.pk}/roles/", {})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=leaver.pk).exists()
    assert api.get("/api/v1/agents").status_code == 401


def test_a_deactivated_member_is_kept_for_history_without_access(
    admin, leaver, client_for, api_for
):
    browser, api = client_for(leaver), api_for(leaver)

    client_for(admin).post(f"/members/{leaver.pk}/active/", {"active": "no"})

    leaver.refresh_from_db()
    assert not leaver.is_active
    assert leaver.deactivated_at is not None
    assert browser.get("/").status_code == 403
    assert api.get("/api/v1/agents").status_code == 401
    page = client_for(admin).get("/members/").content.decode()
    assert "Deactivated" in page
    assert "lea" in page

    # and reactivating gives the access back, tokens included
    client_for(admin).post(f"/members/{leaver.pk}/active/", {"active": "yes"})
    assert api.get("/api/v1/agents").status_code == 200
    actions = AuditEntry.objects.filter(action__startswith="member.").order_by("seq")
    assert [e.action for e in actions][-2:] == ["member.deactivated", "member.reactivated"]


def test_a_member_in_two_organizations_keeps_the_other(
    admin, leaver, other_org, make_member, client_for
):
    elsewhere = make_member(other_org, "viewer", username="lea2")
    elsewhere.user = leaver.user
    elsewhere.save()

    member_remove(membership=leaver, by=admin.user)

    browser = client_for(elsewhere)
    assert browser.get("/").status_code == 200


def test_the_last_admin_cannot_be_removed_or_deactivated(admin, client_for):
    with pytest.raises(Conflict) as removed:
        member_remove(membership=admin)
    with pytest.raises(Conflict) as deactivated:
        member_set_active(membership=admin, active=False)

    assert removed.value.reasons[0].code == deactivated.value.reasons[0].code == "last_admin"
    assert Membership.objects.get(pk=admin.pk).is_active


def test_an_admin_cannot_remove_or_deactivate_themselves_on_the_page(
    admin, org, make_member, client_for
):
    make_member(org, "admin", username="other-admin")
    client = client_for(admin)

    client.post(f"/members/{admin.pk}/remove/")
    client.post(f"/members/{admin.pk}/active/", {"active": "no"})

    assert Membership.objects.get(pk=admin.pk).is_active


def test_another_organizations_member_is_a_404(admin, other_assessor, client_for):
    client = client_for(admin)

    assert client.post(f"/members/{other_assessor.pk}/remove/").status_code == 404
    assert client.post(f"/members/{other_assessor.pk}/active/", {"active": "no"}).status_code == 404
    assert Membership.objects.get(pk=other_assessor.pk).is_active


def test_an_agent_whose_owner_left_needs_a_new_owner_before_phase_1_goes(
    org, admin, assessor, approver, leaver, client_for
):
    # given an agent owned by the leaver, its phase 1 checklist met
    agent = overview_services.agent_create(
        membership=assessor,
        data={
            "name": "Orphan",
            "owner": "lea",
            "escalation_paths": [{"failure_state": "Stuck", "owner": "lea"}],
        },
    )
    provide_evidence(agent, 1)
    assert gates_services.gate_go_reasons(agent=agent, phase=1, membership=approver) == []

    # when the owner is deactivated
    member_set_active(membership=leaver, active=False, by=admin.user)

    # then a go on phase 1 is refused, naming both items that lost their person
    reasons = gates_services.gate_go_reasons(agent=agent, phase=1, membership=approver)
    assert {r.code for r in reasons} == {"unmet_items", "needs_new_owner"}
    assert set(next(r for r in reasons if r.code == "unmet_items").extra["items"]) == {
        "owner_assigned",
        "escalation_owners_mapped",
    }
    # and the agent page and the board say it needs a new owner
    assert "Needs a new owner" in client_for(admin).get(f"/agents/{agent.pk}/").content.decode()
    assert "Needs a new owner" in client_for(admin).get("/agents/board/").content.decode()
    # and the leaver cannot be named owner again while deactivated
    with pytest.raises(InvalidInput) as refused:
        overview_services.agent_update(agent=agent, membership=assessor, data={"owner": "lea"})
    assert "deactivated" in str(refused.value.errors["owner"])


def test_remove_member_command_removes_or_deactivates(org, admin, leaver, capsys):
    call_command("remove_member", "lea", org.slug, "--deactivate")
    assert not Membership.objects.get(pk=leaver.pk).is_active

    call_command("remove_member", "lea", org.slug, "--reactivate")
    assert Membership.objects.get(pk=leaver.pk).is_active

    call_command("remove_member", "lea", org.slug)
    assert not Membership.objects.filter(pk=leaver.pk).exists()
    assert "Removed lea" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "acme"], "not a member"),
        (["lea", "no-such-org"], "No organization"),
        (["lea", "acme", "--deactivate", "--reactivate"], "not both"),
    ],
)
def test_remove_member_command_says_what_is_wrong(org, leaver, args, message):
    args = [org.slug if a == "acme" else a for a in args]

    with pytest.raises(CommandError, match=message):
        call_command("remove_member", *args)


def test_the_admin_deactivates_through_the_service(org, admin, leaver):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/accounts/membership/",
        {"action": "deactivate", "_selected_action": [leaver.pk, admin.pk]},
    )

    assert response.status_code == 302
    assert not Membership.objects.get(pk=leaver.pk).is_active
    assert Membership.objects.get(pk=admin.pk).is_active  # the only admin stays
    assert AuditEntry.objects.filter(action="member.deactivated").count() == 1
