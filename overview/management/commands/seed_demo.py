"""A demo organization to click through: a member per role, assessments that show a trend,
agents at every stage (in production, suspended automatically, needing review, never drilled,
refused at a gate) with months of outcome metrics.

Idempotent: a second run finds everything in place, changes nothing and prints the same logins.
Everything is written through the services, so the audit log has the entries a real
organization would have.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import member_get
from accounts.services import member_set_roles, organization_get_or_create
from assessments.models import Assessment
from assessments.services import assessment_create, assessment_set_scores, assessment_submit
from core.roles import Role
from overview.demo import seed_agents

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Co"
SECOND_SLUG = "globex"
SECOND_NAME = "Globex"

# username -> roles in Demo Co; the password is demo-<username>.
DEMO_USERS: dict[str, set[Role]] = {
    "admin": {Role.ADMIN},
    "assessor": {Role.ASSESSOR},
    "approver": {Role.APPROVER},
    "operator": {Role.OPERATOR},
    "viewer": {Role.VIEWER},
    "cto": set(Role),
}
SECOND_ORG_USERS: dict[str, set[Role]] = {"cto": set(Role)}


# Assessments in framework order (governance, infrastructure, observability, data quality).
# (title, criterion scores, days ago created, days ago submitted or None for a draft)
DEMO_ASSESSMENTS = [
    (
        "Pilot baseline",
        # 2 + 3 + 2 + 3 = 10: governance and observability below 3 block production.
        [3, 3, 2, 3, 3, 3, 2, 3, 2, 3, 3, 4],
        62,
        60,
    ),
    (
        "Pre-production review",
        # 3 + 4 + 3 + 4 = 14, no dimension below 3: ready.
        [4, 4, 3, 4, 4, 4, 3, 4, 3, 4, 4, 4],
        12,
        10,
    ),
    ("Quarterly reassessment", None, 2, None),  # a draft copied from the last one
]


def password_for(username: str) -> str:
    """The published demo password (README): only ever set with the development settings on a
    loopback address."""
    return f"demo-{username}"


def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]")
    if host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def published_passwords_allowed(*, fixed_setting: bool, host: str) -> bool:
    """The README's fixed demo passwords only where nobody else can reach the server: the
    development settings (DEMO_PUBLISHED_PASSWORDS) and a loopback HOST."""
    return fixed_setting and is_loopback(host)


class Command(BaseCommand):
    help = "Create (or complete) the demo organization and print its logins. Idempotent."

    def handle(self, *args, **options):
        self.published = published_passwords_allowed(
            fixed_setting=getattr(settings, "DEMO_PUBLISHED_PASSWORDS", False),
            host=os.environ.get("HOST", "127.0.0.1"),
        )
        self.passwords: dict[str, str] = {}  # the passwords set by this run
        with transaction.atomic():
            changes = self._seed()
        if changes:
            self.stdout.write("Seeded the demo data: " + "; ".join(changes) + ".")
        else:
            self.stdout.write("The demo data is already in place: nothing changed.")
        self.stdout.write("")
        logins = self._logins()
        for line in logins:
            self.stdout.write(line)
        self._keep(logins)

    def _logins(self) -> list[str]:
        width = max(len(name) for name in DEMO_USERS)
        if not self.published and not self.passwords:
            where = getattr(settings, "DEMO_LOGINS_FILE", None) or "its output"
            return [
                f"Demo logins (organization {DEMO_NAME}): unchanged, their passwords were set "
                f"by an earlier run (see {where})."
            ]
        heading = f"Demo logins (organization {DEMO_NAME}):"
        if not self.published:
            heading = (
                f"Demo logins (organization {DEMO_NAME}), random passwords because this server "
                "may be reachable from the network (set now; keep them):"
            )
        lines = [heading]
        for username, roles in DEMO_USERS.items():
            if not self.published and username not in self.passwords:
                continue
            names = ", ".join(role.value for role in Role if role in roles)
            also = " (also a member of Globex: use the organization switcher)"
            extra = also if username in SECOND_ORG_USERS else ""
            shown = self.passwords.get(username, password_for(username))
            if self.published and username not in self.passwords and not self._has(username, shown):
                shown = "(changed by its user)"
            lines.append(f"  {username:<{width}}  /  {shown:<{width + 5}}  {names}{extra}")
        return lines

    def _keep(self, logins: list[str]) -> None:
        """Keep the logins in var/demo-logins.txt (make run prints it): the published ones as
        they are, random ones appended, so none is lost."""
        path = getattr(settings, "DEMO_LOGINS_FILE", None)
        if not path:
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.published:
            path.write_text("\n".join(logins) + "\n", encoding="utf-8")
        elif self.passwords:
            with path.open("a", encoding="utf-8") as out:
                out.write("\n".join(logins) + "\n")
            path.chmod(0o600)

    @staticmethod
    def _has(username: str, password: str) -> bool:
        user = get_user_model().objects.filter(username=username).first()
        return user is not None and user.check_password(password)

    def _seed(self) -> list[str]:
        changes: list[str] = []
        demo = self._organization(DEMO_SLUG, DEMO_NAME, changes)
        for username, roles in DEMO_USERS.items():
            self._member(demo, username, roles, changes)
        second = self._organization(SECOND_SLUG, SECOND_NAME, changes)
        for username, roles in SECOND_ORG_USERS.items():
            self._member(second, username, roles, changes)
        assessor = member_get(organization=demo, username="assessor")
        for title, values, created_days, submitted_days in DEMO_ASSESSMENTS:
            self._assessment(assessor, title, values, created_days, submitted_days, changes)
        seed_agents(demo, changes)
        return changes

    def _organization(self, slug, name, changes):
        if not Organization.objects.filter(slug=slug).exists():
            changes.append(f"organization {name}")
        return organization_get_or_create(slug=slug, name=name)

    def _password(self, user, username: str) -> str | None:
        """The password to set now, or None to leave the user's own: a password someone
        changed is never overwritten; a published one is replaced off loopback."""
        published = password_for(username)
        if user is None or not user.has_usable_password():
            return published if self.published else secrets.token_urlsafe(12)
        if not self.published and user.check_password(published):
            return secrets.token_urlsafe(12)
        return None

    def _member(self, organization, username, roles, changes):
        user = get_user_model().objects.filter(username=username).first()
        password = None
        if username not in self.passwords:  # a user in two organizations is set once
            password = self._password(user, username)
            if password is not None:
                self.passwords[username] = password
        existing = member_get(organization=organization, username=username)
        if existing is not None and existing.roles == frozenset(roles) and password is None:
            return
        member_set_roles(
            organization=organization,
            username=username,
            roles=set(roles),
            password=password,
            email=f"{username}@demo.example",
        )
        changes.append(f"{username} in {organization.name}")

    def _assessment(self, assessor, title, values, created_days, submitted_days, changes):
        organization = assessor.organization
        if Assessment.objects.filter(organization=organization, title=title).exists():
            return
        now = timezone.now()
        if values is None:
            assessment = assessment_create(membership=assessor, title=title, copy_from_last=True)
            # Work in progress: observability's tracing is being improved.
            assessment_set_scores(assessment=assessment, membership=assessor, scores={"tracing": 4})
        else:
            assessment = assessment_create(membership=assessor, title=title)
            keys = list(assessment.framework.shape.criterion_keys)
            assessment_set_scores(
                assessment=assessment,
                membership=assessor,
                scores=dict(zip(keys, values, strict=True)),
            )
            assessment_submit(assessment=assessment, membership=assessor)
        created_at = now - timedelta(days=created_days)
        dates = {"created_at": created_at, "updated_at": created_at}
        if submitted_days is not None:
            submitted_at = now - timedelta(days=submitted_days)
            dates.update(submitted_at=submitted_at, updated_at=submitted_at)
        Assessment.objects.filter(pk=assessment.pk).update(**dates)
        changes.append(f"assessment {title!r}")
