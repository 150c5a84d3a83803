"""The demo's story for `manage.py seed_demo`: one agent at each stage, each step written at
its historical moment through the services, so that the gates, the audit log, the timeline,
the charts and the kill-switch panel tell one story.

The story, relative to the day it is seeded (its months are month-long periods, the last one
ending yesterday):

- Refund triage is registered about seven months ago; its gates are decided over the next
  three weeks, each on evidence produced before it (records, a runtime token, prompt versions
  v1.0 then v1.1 with promptfoo's results, traces of its runtime); its phase 4 goes to go a few
  days before its six months of metric snapshots begin, which starts stabilization. Its
  eight weeks of stabilization are long over and its figures meet the advance thresholds: it
  is the agent to advance. Drilled twenty days ago; its permission reviewed every two months.
- Claims intake follows the same path five months ago, has three good months, then a bad one:
  the snapshot posted this morning suspends it automatically; its gates stay at go.
- Invoice matcher: phases 1 and 2 at go four months ago, phase 3 in progress (one guardrail
  set); its "ERP payments" permission has not been used or reviewed since it was granted, so
  phase 1's least-privilege item is no longer met and a recheck sent phase 1 back to review.
  Never drilled.
- Sales email drafter: phase 1 at go, then a tool permission added two weeks ago sent it to
  review.
- HR policy assistant: refused at phase 1, with the items it lacks.

Every step runs under `story_clock`, in the order of its moment, so the audit log's hash chain
is written in chronological order. Each run (also when the agents exist) the runtimes of the
active agents send the traces of the last hours again, with new span ids.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone as django_timezone

from accounts.selectors import member_get
from agents.models import Agent
from gates import services as gates_services
from killswitch import services as killswitch_services
from outcomes import services as outcome_services
from overview import services as overview_services

from . import demo_evidence as evidence

CRM = "CRM (read)"
# The tools each runtime calls: only tools its records hold a permission for.
RUNTIME_TOOLS = {"Refund triage": (CRM,), "Claims intake": (CRM,), "Invoice matcher": (CRM,)}
TRACES_EVERY = timedelta(days=2)  # how often a runtime's traces arrive in the story
REVIEW_EVERY = timedelta(days=60)  # the quarterly permission review, a little early


@contextmanager
def story_clock(moment: datetime):
    """Run the block as if it were `moment`: `django.utils.timezone.now()`, which every service
    and every `default=timezone.now` field reads, answers it. The one place patched is where
    `now()` reads the time, the `datetime` of `django.utils.timezone` (a field's default holds
    the function itself, so patching `timezone.now` would miss it); restored when the block
    ends. The demo's steps run one at a time, so nothing else sees it."""

    class StoryDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)

    real = django_timezone.datetime
    django_timezone.datetime = StoryDatetime
    try:
        yield
    finally:
        django_timezone.datetime = real


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@dataclass
class Story:
    """Steps to write at their moments: scheduled in any order, told in the order of time."""

    now: datetime
    steps: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)

    def at(self, moment: datetime, step: Callable[[], None]) -> None:
        if moment >= self.now:
            raise ValueError(f"A step of the demo's past is set in the future: {moment}.")
        self.steps.append((moment, len(self.steps), step))

    def tell(self) -> None:
        for moment, _, step in sorted(self.steps, key=lambda s: (s[0], s[1])):
            with story_clock(moment):
                step()
        self.steps.clear()

    @property
    def today(self) -> date:
        return self.now.date()

    def refund_periods(self):
        return evidence.month_periods(self.today, 6)

    def claims_periods(self):
        return evidence.month_periods(self.today, 4)

    @property
    def refund_registered(self) -> date:
        """Three weeks before its phase 4's go, which is four days before its first period."""
        return self.refund_periods()[0][0] - timedelta(days=24)

    @property
    def claims_registered(self) -> date:
        """Its phase 4's go comes five days before its first period, while the Pre-production
        review (two days before Refund triage's registration) is still under 90 days old."""
        return self.claims_periods()[0][0] - timedelta(days=26)

    @property
    def start(self) -> datetime:
        """When the demo organization and its members were set up."""
        return at(self.refund_registered - timedelta(days=40), 8)


def _records(owner_username, escalation_owner, day: date):
    """An agent's governance records as registered on `day`: what phase 1 and phase 3 read."""
    return {
        "decision_boundaries": [
            {"decision": "Answer questions from the knowledge base", "mode": "alone"},
            {"decision": "Anything above the refund limit", "mode": "escalate"},
        ],
        "escalation_paths": [
            {"failure_state": "Tool call fails twice", "owner": escalation_owner},
            {"failure_state": "Customer asks for a human", "owner": owner_username},
        ],
        "tool_permissions": [
            {
                "tool": CRM,
                "access": "read",
                "justification": "Look up the customer's history",
                "last_used": day.isoformat(),
                "last_reviewed": (day - timedelta(days=20)).isoformat(),
            },
        ],
        "guardrails": {
            "api_calls_per_hour": 600,
            "tokens_per_session": 20000,
            "sequential_actions_before_confirmation": 5,
            "monthly_budget": 4000,
        },
    }


class AgentStory:
    """One agent's steps, scheduled on a story."""

    def __init__(self, story: Story, organization_of, name: str, changes: list[str]):
        self.story, self.organization_of, self.name = story, organization_of, name
        self.changes = changes

    def member(self, username):
        return member_get(organization=self.organization_of(), username=username)

    def agent(self) -> Agent:
        return Agent.objects.get(organization=self.organization_of(), name=self.name)

    def register(self, moment, *, unit, purpose, owner="assessor", records=None):
        def step():
            data = records or _records(owner, "operator", django_timezone.now().date())
            overview_services.agent_create(
                membership=self.member("assessor"),
                data={"name": self.name, "business_unit": unit, "purpose": purpose, "owner": owner}
                | data,
            )
            self.changes.append(f"agent {self.name!r}")

        self.story.at(moment, step)

    def runtime_token(self, moment):
        """The admin issues the runtime its token (the secret is shown once, and not needed
        here): phase 1's kill switch needs it."""
        self.story.at(
            moment,
            lambda: killswitch_services.agent_token_create(
                agent=self.agent(), membership=self.member("admin"), name="Production runtime"
            ),
        )

    def prompt(self, moment, tag, rollback):
        """CI posts a prompt version with promptfoo's results of both suites; the delta is
        computed against the current version's stored regression results."""

        def step():
            gates_services.prompt_version_post(
                agent=self.agent(),
                membership=self.member("assessor"),
                data={
                    "tag": tag,
                    "regression": evidence.promptfoo_results(evidence.REGRESSION_TESTS, tag),
                    "adversarial": evidence.promptfoo_results(evidence.ADVERSARIAL_TESTS, tag),
                    "tolerance": 0.05,
                    "rollback_target": rollback,
                },
            )

        self.story.at(moment, step)

    def go(self, moment, phase):
        self.story.at(
            moment,
            lambda: gates_services.gate_decide(
                agent=self.agent(),
                phase=phase,
                membership=self.member("approver"),
                decision="go",
                rationale=f"Phase {phase}'s evidence reviewed with the owner: every item is met.",
            ),
        )

    def runtime(self, first: datetime, last: datetime):
        """The runtime sends its traces every other day from `first`, and once at `last`."""
        tools = RUNTIME_TOOLS[self.name]
        moment = first
        while moment < last - timedelta(hours=12):
            self._traces(moment, tools)
            moment += TRACES_EVERY
        self._traces(last, tools)

    def _traces(self, moment, tools):
        self.story.at(
            moment,
            lambda: evidence.runtime_ran(self.agent(), until=moment, tools=tools),
        )

    def reviews(self, first: datetime):
        """The approver reviews the CRM permission about every two months, the last time a
        week ago, so no permission in use goes 90 days unreviewed."""
        moment = first
        last = at(self.story.today - timedelta(days=8), 11)
        while moment < last - timedelta(days=30):
            self._review(moment)
            moment += REVIEW_EVERY
        self._review(last)

    def _review(self, moment):
        def step():
            agent = self.agent()
            permission = agent.tool_permissions.get(tool=CRM)
            overview_services.tool_permission_review(
                agent=agent,
                membership=self.member("approver"),
                permission_id=permission.pk,
                action="mark_reviewed",
                note="Still needed: the agent reads the customer's history for every request.",
            )

        self.story.at(moment, step)

    def snapshots(self, periods, *, tasks, bad_last=False):
        """The analyst posts each month's figures the morning after it ends; the newest one,
        ending yesterday, this morning."""
        rows = _snapshot_rows(periods, tasks=tasks)
        for index, data in enumerate(rows):
            newest = index == len(rows) - 1
            moment = at(periods[index][1] + timedelta(days=1), 7)
            if newest:
                moment = min(moment, self.story.now - timedelta(minutes=20))
            poster = "assessor"
            if newest and bad_last:
                data = {**data, "errors": round(data["tasks"] * 0.14)}
                poster = "operator"
            self.story.at(moment, self._post(data, poster))

    def _post(self, data, poster):
        return lambda: outcome_services.metric_snapshot_post(
            agent=self.agent(), membership=self.member(poster), data=data
        )

    def drill(self, started: datetime):
        """The operator stops the agent; its runtime sees the stop 4.2 s later; the operator
        ends the drill three minutes after starting it. Each at its own moment, so the audit
        entries (the timeline) and the suspension (the kill-switch panel) agree."""
        drills = {}
        self.story.at(
            started,
            lambda: drills.setdefault(
                "drill",
                killswitch_services.drill_start(
                    agent=self.agent(), membership=self.member("operator")
                ),
            ),
        )
        self.story.at(
            started + timedelta(seconds=4.2),
            lambda: killswitch_services.agent_status_read(agent=self.agent()),
        )
        self.story.at(
            started + timedelta(minutes=3),
            lambda: killswitch_services.drill_end(
                agent=self.agent(), drill=drills["drill"], membership=self.member("operator")
            ),
        )


def _snapshot_rows(periods, *, tasks=1200, completed=0.93, escalations=0.06, errors=0.02):
    """One snapshot per period, oldest first, improving slowly."""
    out = []
    for index, (start, end) in enumerate(periods):
        drift = index * 0.004
        n = tasks + 80 * index
        out.append(
            {
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "tasks": n,
                "tasks_completed": round(n * min(0.99, completed + drift)),
                "escalations": round(n * max(0.01, escalations - drift)),
                "errors": round(n * max(0.005, errors - drift / 2)),
                "cost": round(n * 1.1, 2),
                "avg_cycle_time_s": 240 - 8 * index,
                "baseline_cost_per_case": 6.5,
                "baseline_cycle_time_s": 1800,
                "baseline_error_rate": 0.035,
                "quality_score": 0.86,
                "calls_per_hour": 140,
            }
        )
    return out


def _to_production(agent: AgentStory, registered: date):
    """Registration to phase 4's go in twenty days, each go after its evidence."""
    agent.runtime_token(at(registered, 11))
    agent.go(at(registered + timedelta(days=5), 10), 1)
    agent.prompt(at(registered + timedelta(days=8), 14), "v1.0", "Manual triage by the team")
    agent.prompt(at(registered + timedelta(days=10), 15), "v1.1", "v1.0")
    agent.go(at(registered + timedelta(days=11), 10), 2)
    agent.go(at(registered + timedelta(days=16), 10), 3)
    agent.go(at(registered + timedelta(days=20), 10), 4)
    agent.reviews(at(registered + timedelta(days=60), 11))


def _refund_triage(story: Story, agent: AgentStory):
    registered = story.refund_registered
    agent.register(
        at(registered, 9), unit="Customer support", purpose="Triage refund requests under 200 EUR."
    )
    _to_production(agent, registered)
    agent.runtime(at(registered + timedelta(days=17), 8), story.now - timedelta(hours=1))
    agent.snapshots(story.refund_periods(), tasks=1200)
    agent.drill(at(story.today - timedelta(days=20), 14))


def _claims_intake(story: Story, agent: AgentStory):
    registered = story.claims_registered
    agent.register(
        at(registered, 9),
        unit="Operations",
        purpose="Read claim forms and open cases.",
        owner="cto",
    )
    _to_production(agent, registered)
    # Its runtime ran until this morning; the snapshot of its bad month then suspended it.
    agent.runtime(at(registered + timedelta(days=17), 8), story.now - timedelta(minutes=75))
    agent.snapshots(story.claims_periods(), tasks=800, bad_last=True)


def _invoice_matcher(story: Story, agent: AgentStory):
    registered = story.today - timedelta(days=130)
    records = _records("assessor", "operator", registered)
    records["tool_permissions"].append(
        {
            "tool": "ERP payments",
            "access": "write",
            "justification": "Flag mismatches",
            "last_used": registered.isoformat(),
            "last_reviewed": registered.isoformat(),
        }
    )
    # Phase 3 in progress: only the API call limit is set so far.
    records["guardrails"] = {"api_calls_per_hour": 600}
    agent.register(
        at(registered, 9),
        unit="Finance",
        purpose="Match supplier invoices to purchase orders.",
        records=records,
    )
    agent.runtime_token(at(registered, 11))
    agent.go(at(registered + timedelta(days=7), 10), 1)
    agent.prompt(at(registered + timedelta(days=12), 14), "v1.0", "Matching by hand in the ERP")
    agent.go(at(registered + timedelta(days=15), 10), 2)
    # Its pilot runtime reads the CRM; nobody has used or reviewed ERP payments since.
    agent.runtime(at(registered + timedelta(days=2), 8), story.now - timedelta(hours=2))
    agent.reviews(at(registered + timedelta(days=60), 11))


def _sales_email_drafter(story: Story, agent: AgentStory):
    registered = story.today - timedelta(days=75)
    agent.register(
        at(registered, 9), unit="Sales", purpose="Draft follow-up emails for account managers."
    )
    agent.runtime_token(at(registered, 11))
    agent.go(at(registered + timedelta(days=6), 10), 1)
    agent.reviews(at(registered + timedelta(days=60), 11))

    def add_send_permission():
        records = _records("assessor", "operator", registered)
        records["tool_permissions"].append(
            {"tool": "Email (send)", "access": "write", "justification": "Send approved drafts"}
        )
        overview_services.agent_update(
            agent=agent.agent(),
            membership=agent.member("assessor"),
            data={"tool_permissions": records["tool_permissions"]},
        )

    agent.story.at(at(story.today - timedelta(days=14), 15), add_send_permission)


def _hr_policy_assistant(story: Story, agent: AgentStory):
    registered = story.today - timedelta(days=40)
    records = _records("assessor", "operator", registered)
    records["escalation_paths"] = []
    records["tool_permissions"][0]["justification"] = ""
    agent.register(
        at(registered, 9),
        unit="People",
        purpose="Answer staff questions on HR policy.",
        records=records,
    )
    agent.story.at(
        at(registered + timedelta(days=6), 10),
        lambda: gates_services.gate_decide(
            agent=agent.agent(),
            phase=1,
            membership=agent.member("approver"),
            decision="no_go",
            rationale="No escalation owners, the CRM permission is not justified and the "
            "runtime has no token yet: record them, then ask again.",
        ),
    )


STORIES = {
    "Refund triage": _refund_triage,
    "Claims intake": _claims_intake,
    "Invoice matcher": _invoice_matcher,
    "Sales email drafter": _sales_email_drafter,
    "HR policy assistant": _hr_policy_assistant,
}


def schedule_agents(story: Story, organization_of: Callable, changes: list[str]) -> None:
    """Schedule the story of every demo agent, in an organization the story itself creates
    (`organization_of` finds it once it exists)."""
    for name, script in STORIES.items():
        script(story, AgentStory(story, organization_of, name, changes))


def refresh_runtimes(organization) -> list[str]:
    """Every run: the runtime of each active demo agent sends the traces of the last hours
    again, with new span ids, so tracing (7 days) and the tools' last use stay current.
    A suspended agent's runtime is stopped and sends nothing. Answers the agents refreshed."""
    now = django_timezone.now()
    refreshed = []
    for agent in Agent.objects.filter(
        organization=organization, name__in=RUNTIME_TOOLS, state=Agent.State.ACTIVE
    ).order_by("name"):
        evidence.runtime_ran(agent, until=now, tools=RUNTIME_TOOLS[agent.name])
        refreshed.append(agent.name)
    return refreshed
