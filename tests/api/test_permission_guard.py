"""MemberToken(ask=...): the API's 403 says the permission module's refusal, or the guard's
own `denied` where one guard serves several routes."""

from types import SimpleNamespace

import pytest
from ninja.errors import HttpError

from api.auth import MemberToken
from core import permissions
from core.roles import Role

VIEWER = SimpleNamespace(roles=frozenset({Role.VIEWER}), user_id=1)


def test_a_refusal_is_a_403_saying_why():
    guard = MemberToken(ask=permissions.may_resume_agent)

    with pytest.raises(HttpError) as raised:
        guard.refuse_unless(guard.ask(VIEWER))

    assert (raised.value.status_code, raised.value.message) == (
        403,
        "Only an approver may resume a suspended agent.",
    )


def test_a_guard_of_several_routes_says_its_own_denial():
    guard = MemberToken(ask=permissions.may_suspend_agent, denied="Only an operator may act.")

    with pytest.raises(HttpError) as raised:
        guard.refuse_unless(guard.ask(VIEWER))

    assert raised.value.message == "Only an operator may act."


def test_an_allowed_answer_passes():
    guard = MemberToken(ask=permissions.may_suspend_agent)
    assert guard.refuse_unless(guard.ask(SimpleNamespace(roles={Role.OPERATOR}))) is None
