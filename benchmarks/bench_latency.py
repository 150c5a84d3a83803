"""Median latency of the main pages at the sizes our users reach, each beside the sign-in page
(and a bare Django view) on one gunicorn server (2 sync workers) in the same run, as a ratio.

    .venv/bin/python benchmarks/bench_latency.py [--seconds 3] [--runs 3] [--profile PAGE] [--cold]

Worlds, each in an organization of its own: a member page with nothing to list (the
notifications of a member who has none: the frame every member page pays); 50 submitted
assessments; an agent with a year of
weekly snapshots and 20 prompt versions; an agent with 36 months of snapshots; 200 agents and
1,000 agents on the gate board; the overview for a member of each role (200 agents). Each page
is measured `--runs` times (interleaved, so that a busy moment of the machine hits every page
alike) and the table shows the median run. `--profile PAGE` (a label's first word, e.g.
"board") prints a cProfile of that page through Django's test client instead.

Each client sends a session and a CSRF cookie, as a browser does after its first page, so a
page is drawn once and then served from the page cache until the data version moves
(core/page_cache.py); `--cold` turns the cache off, to measure what drawing each page costs.
"""

import argparse
import os
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    Server,
    load,
    session_cookie,
    setup_django,
    table,
    worker_rss_mb,
    workers_cpu_seconds,
)
from bench_pages import make_world


def snapshot_fields(end: date, days: int, i: int) -> dict:
    return {
        "period_start": end - timedelta(days=days - 1),
        "period_end": end,
        "tasks": 1000 + i,
        "tasks_completed": 900 + i % 50,
        "escalations": 40 + i % 7,
        "errors": 20 + i % 5,
        "cost": 1800.0 + i,
        "avg_cycle_time_s": 90.0 + i % 11,
        "baseline_cost_per_case": 6.0,
        "baseline_cycle_time_s": 1200.0,
        "baseline_error_rate": 0.03,
    }


def build_worlds() -> list[tuple[str, str, str]]:
    """Every page to measure: (label, path, cookie)."""
    from accounts.services import member_set_roles
    from core.roles import Role
    from gates.models import PromptVersion
    from outcomes.models import MetricSnapshot

    pages = []
    # A member with no organization data at all is enough for the sign-in page.
    member, add_assessments, _ = make_world("lat-assess")
    cookie = session_cookie(member.user, member)
    latest = add_assessments(50)[0]
    pages += [
        # A member page with nothing to list: what every member page pays for its frame
        # (session, user, membership, the navigation's counts, base.html).
        ("page frame: notifications, none", "/notifications/", cookie),
        ("assessment list, 50 assessments", "/assessments/", cookie),
        ("assessment result page", f"/assessments/{latest.pk}/", cookie),
    ]

    member, _, add_agents = make_world("lat-agent")
    cookie = session_cookie(member.user, member)
    agent, history = add_agents(2)
    MetricSnapshot.objects.bulk_create(
        MetricSnapshot(agent=agent, **snapshot_fields(date(2025, 1, 5) + timedelta(weeks=i), 7, i))
        for i in range(52)
    )
    PromptVersion.objects.bulk_create(
        PromptVersion(
            agent=agent,
            tag=f"v1.{i}",
            regression_passed=True,
            adversarial_passed=i % 4 != 0,
            delta=0.01,
            tolerance=0.05,
            ship=i % 4 != 0,
            created_by=member.user,
        )
        for i in range(20)
    )
    MetricSnapshot.objects.bulk_create(
        MetricSnapshot(
            agent=history, **snapshot_fields(date(2023, 1, 28) + timedelta(days=30 * i), 30, i)
        )
        for i in range(36)
    )
    pages += [
        ("agent page, a year of snapshots, 20 prompt versions", f"/agents/{agent.pk}/", cookie),
        ("outcomes page, 36 months of snapshots", f"/agents/{history.pk}/metrics/", cookie),
    ]

    member, add_assessments, add_agents = make_world("lat-200")
    add_assessments(3)
    add_agents(200)
    pages.append(("gate board, 200 agents", "/agents/board/", session_cookie(member.user, member)))
    org = member.organization
    cookies = {
        role: session_cookie(one.user, one)
        for role in Role
        for one in [member_set_roles(organization=org, username=f"lat-{role}", roles={role})]
    }
    pages += [(f"overview as {role}, 200 agents", "/", cookies[role]) for role in Role]
    work = _work_url()  # "My work", once it exists
    if work:
        pages += [(f"my work as {role}, 200 agents", work, cookies[role]) for role in Role]

    member, _, add_agents = make_world("lat-1000")
    add_agents(1000)
    pages.append(
        ("gate board, 1,000 agents", "/agents/board/", session_cookie(member.user, member))
    )
    return pages


def _work_url() -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("agents:work", "overview:work", "work"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def profile(pages, word: str) -> None:
    """cProfile of one page through the test client, 20 requests after a warm-up."""
    import cProfile
    import pstats

    from django.test import Client

    label, path, cookie = next(p for p in pages if p[0].split()[0] == word or word in p[0])
    client = Client()
    for pair in cookie.split("; "):
        name, _, value = pair.partition("=")
        client.cookies[name] = value
    assert client.get(path).status_code == 200
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        client.get(path)
    profiler.disable()
    print(f"cProfile of {label} ({path}), 20 requests\n")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="with the page cache off: what each page costs when it is drawn afresh",
    )
    args = parser.parse_args()
    if args.cold:
        os.environ["READINESS_PAGE_CACHE_SECONDS"] = "0"  # read by the settings, and gunicorn
    setup_django("latency")
    from django.core.management import call_command

    # The pages name hashed static files: the manifest must know every one of them.
    call_command("collectstatic", interactive=False, verbosity=0)
    pages = build_worlds()
    if args.profile:
        profile(pages, args.profile)
        return
    references = [("sign-in page (/login/)", "/login/", ""), ("bare Django view", "/healthz", "")]
    everything = references + pages
    medians: dict[str, list[float]] = {label: [] for label, _, _ in everything}
    errors: dict[str, int] = dict.fromkeys(medians, 0)
    cpu: dict[str, list[float]] = {label: [] for label in medians}
    requests = 0
    with Server(workers=2) as server:
        for _label, path, cookie in everything:  # warm up every page once
            load(server.url + path, seconds=0.5, headers={"Cookie": cookie})
        for _ in range(args.runs):
            for label, path, cookie in everything:
                before = workers_cpu_seconds(server.proc.pid)
                r = load(server.url + path, seconds=args.seconds, headers={"Cookie": cookie})
                spent = workers_cpu_seconds(server.proc.pid) - before
                medians[label].append(r["p50_ms"])
                cpu[label].append(spent * 1000 / max(r["requests"], 1))
                errors[label] += r["errors"]
                requests += r["requests"]
        memory = worker_rss_mb(server.proc.pid)
    # Each page's ratio is taken within a run, then the median run is shown. Latency is wall
    # time, which a busy machine inflates unevenly; the workers' CPU time per request
    # (from /proc) is what the page itself costs, whatever else the machine is doing.
    signin, signin_cpu = medians[references[0][0]], cpu[references[0][0]]
    rows = []
    for label, _, _ in everything:
        ratios = [m / s for m, s in zip(medians[label], signin, strict=True)]
        cpu_ratios = [m / s for m, s in zip(cpu[label], signin_cpu, strict=True)]
        rows.append(
            [
                label,
                f"{statistics.median(medians[label]):.1f}",
                f"{statistics.median(ratios):.2f}×",
                f"{statistics.median(cpu[label]):.1f}",
                f"{statistics.median(cpu_ratios):.2f}×",
                errors[label],
            ]
        )
    print(
        f"Median latency and worker CPU per request, gunicorn 2 sync workers on loopback, "
        f"4 client threads, {args.runs} runs of {args.seconds:g} s per page (median run)\n"
    )
    print(table(rows, ["page", "p50 ms", "p50 × sign-in", "CPU ms", "CPU × sign-in", "errors"]))
    shown = ", ".join(f"{mb:.0f} MB" for mb in memory)
    print(f"\ngunicorn workers' resident memory after {requests:,} requests: {shown}")


if __name__ == "__main__":
    main()
