"""Requests per second of the main list and result pages beside a bare Django view, on one
gunicorn server (2 workers) in the same run, and queries per page as rows grow.

    .venv/bin/python benchmarks/bench_pages.py [--seconds 5]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Server, load, session_cookie, setup_django, table


def make_world(slug: str):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services import member_set_roles, organization_get_or_create
    from agents.models import Agent
    from assessments.models import Assessment, Score
    from assessments.selectors import framework_default
    from core.roles import Role
    from gates.checklists import phase_definition
    from gates.models import ChecklistItem, Gate

    org = organization_get_or_create(slug=slug, name=f"Bench {slug}")
    member = member_set_roles(organization=org, username=slug, roles=set(Role), password="x")
    framework = framework_default()
    criteria = list(framework.criteria_by_key.values())

    def add_assessments(n):
        now = timezone.now()
        start = Assessment.objects.filter(organization=org).count()
        created = Assessment.objects.bulk_create(
            Assessment(
                organization=org,
                framework=framework,
                title=f"Assessment {start + i}",
                created_by=member.user,
                status="submitted",
                submitted_at=now - timedelta(days=i),
                submitted_by=member.user,
                total=15,
                verdict="ready",
            )
            for i in range(n)
        )
        Score.objects.bulk_create(
            Score(assessment=a, criterion=c, value=3 + (i + j) % 3)
            for i, a in enumerate(created)
            for j, c in enumerate(criteria)
        )
        return created

    def add_agents(n):
        start = Agent.objects.filter(organization=org).count()
        agents = Agent.objects.bulk_create(
            Agent(
                organization=org,
                name=f"Agent {start + i:04d}",
                business_unit=("Support", "Finance", "Ops")[i % 3],
                owner=member.user,
                created_by=member.user,
            )
            for i in range(n)
        )
        gates = Gate.objects.bulk_create(
            Gate(agent=a, phase=p, state=("go", "pending")[p > 1 + i % 4])
            for i, a in enumerate(agents)
            for p in (1, 2, 3, 4)
        )
        ChecklistItem.objects.bulk_create(
            ChecklistItem(gate=g, key=k) for g in gates for k in phase_definition(g.phase).keys
        )
        return agents

    return member, add_assessments, add_agents


def query_count(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    setup_django("pages")
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.middleware import SESSION_KEY

    member, add_assessments, add_agents = make_world("growth")
    client = Client()
    client.force_login(member.user)
    session = client.session
    session[SESSION_KEY] = member.pk
    session.save()

    def url(name, *args):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            return None

    # Queries per page as rows grow.
    counts = []
    assessments = add_assessments(10)
    agents = add_agents(10)
    for size in (10, 100, 1000):
        if size > 10:
            add_assessments(size - len(assessments))
            assessments = list(range(size))
            add_agents(size - len(agents))
            agents = list(range(size))
        row = [size, query_count(client, url("assessments:list"))]
        board = url("agents:board")
        row.append(query_count(client, board) if board else "n/a")
        counts.append(row)
    print("Queries per page as rows grow (assessments / agents in the organization)\n")
    print(table(counts, ["rows", "assessment list", "gate board"]))

    # Requests per second, in another organization of the sizes.
    member, add_assessments, add_agents = make_world("rps")
    latest = add_assessments(50)[0]
    add_agents(200)
    cookie = session_cookie(member.user, member)
    pages = [
        ("bare Django view (/healthz)", "/healthz"),
        ("assessment list, 50 assessments", url("assessments:list")),
        ("assessment result page", url("assessments:detail", latest.pk)),
        ("gate board, 200 agents", url("agents:board")),
    ]
    rows = []
    with Server(workers=2) as server:
        for label, path in pages:
            if path is None:
                rows.append([label, "n/a", "", "", ""])
                continue
            load(server.url + path, seconds=1, headers={"Cookie": cookie})  # warm up
            r = load(server.url + path, seconds=args.seconds, headers={"Cookie": cookie})
            rows.append(
                [label, f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", r["errors"]]
            )
    print("\nRequests per second, gunicorn with 2 sync workers on loopback, 4 client threads\n")
    print(table(rows, ["page", "req/s", "p50 ms", "p95 ms", "errors"]))


if __name__ == "__main__":
    main()
