"""On the pages, as in the API, another organization's object is a 404 before any 403: a
member without the role learns nothing about what exists elsewhere."""

import pytest

from overview import services as overview_services


@pytest.fixture
def elsewhere(other_assessor):
    return overview_services.agent_create(
        membership=other_assessor, data={"name": "Theirs", "owner": "gus"}
    )


@pytest.fixture
def ours(assessor):
    return overview_services.agent_create(
        membership=assessor, data={"name": "Ours", "owner": "sam"}
    )


ACTIONS = [
    ("post", "/agents/{pk}/suspend/"),
    ("post", "/agents/{pk}/drills/start/"),
    ("post", "/agents/{pk}/drills/1/end/"),
    ("post", "/agents/{pk}/resume/"),
    ("post", "/agents/{pk}/tokens/"),
    ("get", "/agents/{pk}/edit/"),
    ("post", "/agents/{pk}/gates/1/checklist/"),
    ("post", "/agents/{pk}/gates/1/decide/"),
    ("post", "/agents/{pk}/horizon/advance/"),
    ("get", "/agents/{pk}/metrics/new/"),
    ("get", "/agents/{pk}/metrics/upload/"),
    ("get", "/agents/{pk}/risk-assessments/new/"),
    ("post", "/agents/{pk}/permissions/1/review/"),
    ("get", "/agents/{pk}/prompt-versions/new/"),
    ("post", "/agents/{pk}/prompt-versions/new/"),
]


@pytest.mark.parametrize(("method", "path"), ACTIONS)
def test_a_member_without_the_role_gets_404_elsewhere_and_403_at_home(
    viewer, client_for, elsewhere, ours, method, path
):
    client = client_for(viewer)

    theirs = getattr(client, method)(path.format(pk=elsewhere.pk))
    home = getattr(client, method)(path.format(pk=ours.pk))

    assert theirs.status_code == 404
    assert home.status_code == 403


def test_another_organizations_member_is_404_for_a_non_admin(viewer, other_assessor, client_for):
    client = client_for(viewer)

    assert client.post(f"/members/{other_assessor.pk}/remove/").status_code == 404
    assert client.post(f"/members/{viewer.pk}/remove/").status_code == 403
