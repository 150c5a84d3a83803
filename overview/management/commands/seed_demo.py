"""A demo organization to click through: a member per role, assessments that show a trend,
agents at every stage (in production, suspended automatically, needing review, never drilled,
refused at a gate) with months of outcome metrics.

Idempotent: a second run finds everything in place, changes nothing and prints the same logins;
only the active agents' runtimes send their traces of the last hours again (overview/demo.py).
Everything is written through the services, each step at its moment of the story
(`overview.demo.story_clock`), so the audit log has the entries a real organization would
have, in the order they would have been written.
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
from agents.models import Agent
from assessments.models import Assessment
from assessments.services import assessment_create, assessment_set_scores, assessment_submit
from core.roles import Role
from overview.demo import STORIES, Story, at, refresh_runtimes, schedule_agents

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
# (title, criterion scores or None for a draft copied from the last one, created, submitted):
# days before Refund triage's registration ("registered") or before today ("today").
DEMO_ASSESSMENTS = [
    (
        "Pilot baseline",
        # 2 + 3 + 2 + 3 = 10: governance and observability below 3 block production.
        [3, 3, 2, 3, 3, 3, 2, 3, 2, 3, 3, 4],
        ("registered", 32),
        ("registered", 30),
    ),
    (
        "Pre-production review",
        # 3 + 4 + 3 + 4 = 14, no dimension below 3: ready, in time for the first phase 4.
        [4, 4, 3, 4, 4, 4, 3, 4, 3, 4, 4, 4],
        ("registered", 4),
        ("registered", 2),
    ),
    (
        "Half-year review",
        # Still 14 and ready; tracing has improved. Keeps the readiness within its 90 days.
        [4, 4, 3, 4, 4, 4, 3, 4, 4, 4, 4, 4],
        ("today", 12),
        ("today", 10),
    ),
    ("Quarterly reassessment", None, ("today", 2), None),  # a draft copied from the last one
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
        self.notes: list[str] = []  # what else this run did or could not do
        with transaction.atomic():
            changes = self._seed()
        if changes:
            self.stdout.write("Seeded the demo data: " + "; ".join(changes) + ".")
        else:
            self.stdout.write("The demo data is already in place: nothing changed.")
        for note in self.notes:
            self.stdout.write(note)
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
        """Write the demo's story at its moments when this run creates the organization;
        otherwise keep its members' logins as they are. Either way, refresh the runtimes'
        recent traces."""
        changes: list[str] = []
        story = Story(now=timezone.now())
        if Organization.objects.filter(slug=DEMO_SLUG).exists():
            self._people(changes)
            self._missing_story()
        else:
            story.at(story.start, lambda: self._people(changes))
            self._schedule_assessments(story, changes)
            schedule_agents(story, self._demo, changes)
            story.tell()
        refreshed = refresh_runtimes(self._demo())
        if refreshed:
            self.notes.append(
                "Sent the recent traces of " + " and ".join(refreshed) + " again (every run)."
            )
        return changes

    @staticmethod
    def _demo() -> Organization:
        return Organization.objects.get(slug=DEMO_SLUG)

    def _people(self, changes) -> None:
        demo = self._organization(DEMO_SLUG, DEMO_NAME, changes)
        for username, roles in DEMO_USERS.items():
            self._member(demo, username, roles, changes)
        second = self._organization(SECOND_SLUG, SECOND_NAME, changes)
        for username, roles in SECOND_ORG_USERS.items():
            self._member(second, username, roles, changes)

    def _missing_story(self) -> None:
        """An organization that exists without the demo's assessments or agents is not
        completed: their past would be written after what has happened since, out of the
        audit log's order."""
        demo = self._demo()
        titles = {title for title, *_ in DEMO_ASSESSMENTS}
        have = set(
            Assessment.objects.filter(organization=demo, title__in=titles).values_list(
                "title", flat=True
            )
        ) | set(
            Agent.objects.filter(organization=demo, name__in=STORIES).values_list("name", flat=True)
        )
        missing = sorted((titles | set(STORIES)) - have)
        if missing:
            self.notes.append(
                f"{DEMO_NAME} already existed without {', '.join(missing)}: the demo's story is "
                "written only into a new organization. Run make distclean, then seed_demo."
            )

    def _schedule_assessments(self, story: Story, changes) -> None:
        anchors = {
            "registered": at(story.refund_registered, 10),
            "today": at(story.today, 10),
        }
        for title, values, created, submitted in DEMO_ASSESSMENTS:
            created_at = anchors[created[0]] - timedelta(days=created[1])
            story.at(created_at, self._assessment_started(title, values, changes))
            if submitted is not None:
                submitted_at = (
                    anchors[submitted[0]] - timedelta(days=submitted[1]) + timedelta(hours=6)
                )
                story.at(submitted_at, self._assessment_submitted(title))

    def _assessment_started(self, title, values, changes):
        def step():
            assessor = member_get(organization=self._demo(), username="assessor")
            if values is None:
                assessment = assessment_create(
                    membership=assessor, title=title, copy_from_last=True
                )
                # Work in progress: observability's tracing is being improved.
                scores = {"tracing": 4}
            else:
                assessment = assessment_create(membership=assessor, title=title)
                keys = list(assessment.framework.shape.criterion_keys)
                scores = dict(zip(keys, values, strict=True))
            assessment_set_scores(assessment=assessment, membership=assessor, scores=scores)
            changes.append(f"assessment {title!r}")

        return step

    def _assessment_submitted(self, title):
        def step():
            demo = self._demo()
            assessor = member_get(organization=demo, username="assessor")
            assessment = Assessment.objects.get(organization=demo, title=title)
            assessment_submit(assessment=assessment, membership=assessor)

        return step

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
