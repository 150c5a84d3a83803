"""Metric snapshots: ingestion through the API (snapshots per second, 10,000 by default) and
the agent's outcomes page with 36 months of snapshots beside a bare Django view, on one
gunicorn server (2 workers) in the same run.

    .venv/bin/python benchmarks/bench_metrics.py [--snapshots 10000] [--seconds 5]
"""

import argparse
import json
import sys
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Server, load, session_cookie, setup_django, table


def snapshot(i: int) -> dict:
    end = date(2020, 1, 1) + timedelta(days=i)
    return {
        "period_start": end.isoformat(),
        "period_end": end.isoformat(),
        "tasks": 1000,
        "tasks_completed": 950,
        "escalations": 40,
        "errors": 20,
        "cost": 1800.0,
        "avg_cycle_time_s": 90.0,
        "baseline_cost_per_case": 6.0,
        "baseline_cycle_time_s": 1200.0,
        "baseline_error_rate": 0.03,
    }


def post_all(url: str, token: str, count: int, threads: int) -> tuple[float, int]:
    errors = 0
    lock = threading.Lock()
    counter = iter(range(count))

    def worker():
        nonlocal errors
        bad = 0
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            request = urllib.request.Request(
                url,
                data=json.dumps(snapshot(i)).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    bad += response.status != 201
            except OSError:
                bad += 1
        with lock:
            errors += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start, errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshots", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    setup_django("metrics")
    from accounts.services import member_set_roles, organization_get_or_create, token_create
    from core.roles import Role
    from outcomes.models import MetricSnapshot
    from overview import services as overview_services

    org = organization_get_or_create(slug="bench-metrics", name="Bench Metrics")
    member = member_set_roles(organization=org, username="metrics", roles=set(Role))
    owner = member_set_roles(organization=org, username="owner", roles={Role.ASSESSOR})
    ingest = overview_services.agent_create(
        membership=member, data={"name": "Ingest", "owner": owner.user.username}
    )
    history = overview_services.agent_create(
        membership=member, data={"name": "History", "owner": owner.user.username}
    )
    MetricSnapshot.objects.bulk_create(
        MetricSnapshot(agent=history, **{**snapshot(i * 30), "period_end": date(2023, 1, 28)
                       + timedelta(days=30 * i)})
        for i in range(36)
    )  # fmt: skip
    _, token = token_create(membership=member)
    cookie = session_cookie(member.user, member)
    with Server(workers=2) as server:
        post_all(f"{server.url}/api/v1/agents/{ingest.pk}/metrics", token, 50, 4)  # warm up
        elapsed, errors = post_all(
            f"{server.url}/api/v1/agents/{ingest.pk}/metrics", token, args.snapshots, 4
        )
        rows = [["POST /api/v1/agents/{id}/metrics", f"{args.snapshots / elapsed:.0f} snapshots/s",
                 f"{elapsed:.1f} s for {args.snapshots}", errors]]  # fmt: skip
        for label, path in (
            ("bare Django view (/healthz)", "/healthz"),
            ("outcomes page, 36 months of snapshots", f"/agents/{history.pk}/metrics/"),
        ):
            load(server.url + path, seconds=1, headers={"Cookie": cookie})
            r = load(server.url + path, seconds=args.seconds, headers={"Cookie": cookie})
            latency = f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms"
            rows.append([label, f"{r['rps']:.0f} req/s", latency, r["errors"]])
    stored = MetricSnapshot.objects.filter(agent=ingest).count()
    print("gunicorn with 2 sync workers on loopback, 4 client threads\n")
    print(table(rows, ["what", "rate", "detail", "errors"]))
    print(f"\nsnapshots stored: {stored} (expected {args.snapshots + 50})")


if __name__ == "__main__":
    main()
