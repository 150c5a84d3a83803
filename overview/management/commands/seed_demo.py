"""A demo organization to click through: a member per role, assessments that show a trend,
agents at every stage (in production, suspended automatically, needing review, never drilled,
refused at a gate) with months of outcome metrics.

Idempotent: a second run finds everything in place, changes nothing and prints the same logins.
Everything is written through the services, so the audit log has the entries a real
organization would have.
"""

from datetime import timedelta

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
    return f"demo-{username}"


class Command(BaseCommand):
    help = "Create (or complete) the demo organization and print its logins. Idempotent."

    def handle(self, *args, **options):
        with transaction.atomic():
            changes = self._seed()
        if changes:
            self.stdout.write("Seeded the demo data: " + "; ".join(changes) + ".")
        else:
            self.stdout.write("The demo data is already in place: nothing changed.")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (organization {DEMO_NAME}):")
        width = max(len(name) for name in DEMO_USERS)
        for username, roles in DEMO_USERS.items():
            names = ", ".join(role.value for role in Role if role in roles)
            also = " (also a member of Globex: use the organization switcher)"
            extra = also if username in SECOND_ORG_USERS else ""
            self.stdout.write(
                f"  {username:<{width}}  /  {password_for(username):<{width + 5}}  {names}{extra}"
            )

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

    def _member(self, organization, username, roles, changes):
        user = get_user_model().objects.filter(username=username).first()
        password = password_for(username)
        needs_password = user is None or not user.check_password(password)
        existing = member_get(organization=organization, username=username)
        if existing is not None and existing.roles == frozenset(roles) and not needs_password:
            return
        member_set_roles(
            organization=organization,
            username=username,
            roles=set(roles),
            password=password if needs_password else None,
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
