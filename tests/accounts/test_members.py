"""The members page: admins add members and change roles; nobody else may."""

import pytest

from accounts.models import Membership
from audit.models import AuditEntry
from core.roles import Role
from tests.factories import UserFactory


def test_admin_sees_members_with_their_roles(admin, assessor, viewer, client_for):
    response = client_for(admin).get("/members/")

    assert response.status_code == 200
    html = response.content.decode()
    for username in ("ada", "sam", "vic"):
        assert username in html
    assert "Assessor" in html


def test_members_of_another_organization_are_not_listed(admin, other_assessor, client_for):
    html = client_for(admin).get("/members/").content.decode()

    assert "gus" not in html


@pytest.mark.parametrize("role", ["assessor", "approver", "operator", "viewer"])
def test_non_admins_are_refused_every_members_action(org, make_member, client_for, role):
    # given a member without the admin role and another member
    member = make_member(org, role, username="nonadmin")
    other = make_member(org, "viewer", username="target")
    client = client_for(member)

    # when they open the page, add a member or change roles
    responses = [
        client.get("/members/"),
        client.post("/members/add/", {"username": "newbie", "roles": ["admin"]}),
        client.post(f"/members/{other.pk}/roles/", {f"m{other.pk}-roles": ["admin"]}),
        client.post(f"/members/{other.pk}/remove/"),
        client.post(f"/members/{other.pk}/active/", {"active": "no"}),
    ]

    # then every request is a 403 and nothing changed
    assert [r.status_code for r in responses] == [403] * 5
    assert Membership.objects.get(pk=other.pk).is_active
    assert not Membership.objects.filter(user__username="newbie").exists()
    other.refresh_from_db()
    assert other.roles == {Role.VIEWER}


def test_admin_adds_a_new_member_with_roles_and_a_password(admin, org, client_for):
    client = client_for(admin)

    response = client.post(
        "/members/add/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "roles": ["assessor", "operator"],
            "password": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 302
    membership = Membership.objects.get(organization=org, user__username="newbie")
    assert membership.roles == {Role.ASSESSOR, Role.OPERATOR}
    assert membership.user.check_password("a-long-enough-passphrase")
    assert membership.user.email == "newbie@example.com"
    entry = AuditEntry.objects.get(action="member.roles_set", object_id=str(membership.pk))
    assert entry.actor == admin.user
    assert entry.after == {"roles": ["assessor", "operator"]}


def test_adding_needs_a_username_and_a_role(admin, client_for):
    response = client_for(admin).post("/members/add/", {"username": " ", "roles": []})

    assert response.status_code == 400
    form = response.context["add_form"]
    assert "username" in form.errors
    assert "roles" in form.errors


def test_adding_an_existing_member_points_to_the_list(admin, assessor, client_for):
    response = client_for(admin).post("/members/add/", {"username": "sam", "roles": ["viewer"]})

    assert response.status_code == 400
    assert "already a member" in response.context["add_form"].errors["username"][0]
    assessor.refresh_from_db()
    assert assessor.roles == {Role.ASSESSOR}


def test_adding_a_user_of_another_organization_cannot_set_their_password(
    admin, other_assessor, client_for
):
    # given gus exists (in Globex); an Acme admin tries to add him with a password
    response = client_for(admin).post(
        "/members/add/",
        {"username": "gus", "roles": ["viewer"], "password": "hijack-the-account"},
    )

    # then it is refused, and gus's password is untouched
    assert response.status_code == 400
    assert "password" in response.context["add_form"].errors
    other_assessor.user.refresh_from_db()
    assert not other_assessor.user.check_password("hijack-the-account")


def test_a_user_of_another_organization_is_invited_not_added(
    admin, org, other_assessor, client_for
):
    # joining another organization needs consent: an admin cannot add an existing account
    response = client_for(admin).post("/members/add/", {"username": "gus", "roles": ["viewer"]})

    assert response.status_code == 400
    assert "invite them by email" in str(response.context["add_form"].errors["username"])
    assert not Membership.objects.filter(organization=org, user__username="gus").exists()


def test_a_weak_initial_password_is_refused(admin, client_for):
    response = client_for(admin).post(
        "/members/add/", {"username": "newbie", "roles": ["viewer"], "password": "123"}
    )

    assert response.status_code == 400
    assert "password" in response.context["add_form"].errors
    assert not UserFactory._meta.model.objects.filter(username="newbie").exists()


def test_admin_changes_another_members_roles_audited(admin, assessor, client_for):
    response = client_for(admin).post(
        f"/members/{assessor.pk}/roles/", {f"m{assessor.pk}-roles": ["assessor", "approver"]}
    )

    assert response.status_code == 302
    assessor.refresh_from_db()
    assert assessor.roles == {Role.ASSESSOR, Role.APPROVER}
    entry = AuditEntry.objects.get(action="member.roles_set", object_id=str(assessor.pk))
    assert entry.before == {"roles": ["assessor"]}
    assert entry.after == {"roles": ["assessor", "approver"]}


def test_admin_cannot_remove_their_own_admin_role(admin, client_for):
    # given an admin
    client = client_for(admin)

    # when they untick their own admin role
    response = client.post(f"/members/{admin.pk}/roles/", {f"m{admin.pk}-roles": ["viewer"]})

    # then it is refused with a clear message, and nothing changed
    assert response.status_code == 400
    assert "cannot remove your own admin role" in response.content.decode()
    admin.refresh_from_db()
    assert admin.roles == {Role.ADMIN}
    assert not AuditEntry.objects.filter(action="member.roles_set").exists()


def test_admin_may_add_roles_to_themselves(admin, client_for):
    response = client_for(admin).post(
        f"/members/{admin.pk}/roles/", {f"m{admin.pk}-roles": ["admin", "approver"]}
    )

    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.roles == {Role.ADMIN, Role.APPROVER}


def test_changing_roles_of_another_organizations_member_is_404(admin, other_assessor, client_for):
    response = client_for(admin).post(
        f"/members/{other_assessor.pk}/roles/", {f"m{other_assessor.pk}-roles": ["viewer"]}
    )

    assert response.status_code == 404
    other_assessor.refresh_from_db()
    assert Role.ADMIN in other_assessor.roles


def test_members_page_query_count_is_constant(
    admin, org, make_member, client_for, django_assert_max_num_queries
):
    for n in range(30):
        make_member(org, "viewer", username=f"member{n}")
    client = client_for(admin)

    with django_assert_max_num_queries(8):
        response = client.get("/members/")

    assert response.status_code == 200
