"""Board reports: time from request to done through a real Celery worker beside WeasyPrint
alone rendering the same HTML (same run), the worker's peak memory, and reports per minute
with two worker processes. Uses the embedded filesystem broker.

    .venv/bin/python benchmarks/bench_reports.py [--reports 6]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, ROOT, setup_django, table


def make_world(n_agents: int):
    from accounts.services import member_set_roles, organization_get_or_create
    from assessments import services as assessment_services
    from core.roles import Role
    from overview import services as overview_services

    org = organization_get_or_create(slug="bench-reports", name="Bench Reports Co")
    member = member_set_roles(organization=org, username="reports", roles=set(Role))
    owner = member_set_roles(organization=org, username="owner", roles={Role.ASSESSOR})
    for title, values in (("Spring", [3, 3, 2, 4]), ("Autumn", [4, 4, 3, 4])):
        a = assessment_services.assessment_create(membership=member, title=title)
        scores = dict(
            zip(
                a.framework.shape.criterion_keys,
                [v for v in values for _ in range(3)],
                strict=True,
            )
        )
        assessment_services.assessment_set_scores(assessment=a, membership=member, scores=scores)
        assessment_services.assessment_submit(assessment=a, membership=member)
    for i in range(n_agents):
        overview_services.agent_create(
            membership=member,
            data={"name": f"Agent {i:03d}", "owner": owner.user.username, "business_unit": "Ops"},
        )
    return member


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_done(report_ids, timeout=600):
    from reports.models import Report

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = set(Report.objects.filter(pk__in=report_ids).values_list("status", flat=True))
        if statuses <= {"done", "failed"}:
            return
        time.sleep(0.05)
    raise RuntimeError("reports did not finish")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=6)
    args = parser.parse_args()
    setup_django("reports")
    from weasyprint import CSS, HTML

    from reports import services
    from reports.models import Report
    from reports.render import PRINT_CSS, SafeURLFetcher, report_html, static_bytes

    member = make_world(n_agents=20)  # about ten pages
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "readiness", "worker", "--concurrency", "2",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=os.environ.copy(),
    )  # fmt: skip
    try:
        # Warm up both worker processes (imports, fonts), as a running deployment is.
        warm = [services.report_request(membership=member, title=f"Warm {i}").pk for i in range(2)]
        wait_done(warm)
        # 1. One report, request to done, beside WeasyPrint alone on the same HTML.
        start = time.perf_counter()
        report = services.report_request(membership=member, title="Bench")
        wait_done([report.pk])
        through_worker = time.perf_counter() - start
        report.refresh_from_db()
        assert report.status == "done", report.error
        css = CSS(string=static_bytes(PRINT_CSS).decode(), url_fetcher=SafeURLFetcher())
        alone_times = []
        for _ in range(3):
            start = time.perf_counter()
            HTML(string=report_html(report.snapshot), url_fetcher=SafeURLFetcher()).write_pdf(
                stylesheets=[css]
            )
            alone_times.append(time.perf_counter() - start)
        alone = min(alone_times)
        # 2. Throughput with two worker processes.
        start = time.perf_counter()
        ids = [
            services.report_request(membership=member, title=f"Bench {i}").pk
            for i in range(args.reports)
        ]
        wait_done(ids)
        elapsed = time.perf_counter() - start
        per_minute = args.reports / elapsed * 60
        peak = max(peak_rss_mb(pid) for pid in children(worker.pid))
        failed = Report.objects.filter(status="failed").count()
    finally:
        worker.terminate()
        worker.wait(30)
    print(
        table(
            [
                ["pages in the report", report.pages],
                ["request to done, through the worker", f"{through_worker:.2f} s"],
                ["WeasyPrint alone, same HTML (best of 3)", f"{alone:.2f} s"],
                ["ratio (target ≤ 1.3×)", f"{through_worker / alone:.2f}×"],
                ["worker child peak memory (VmHWM)", f"{peak:.0f} MB"],
                [
                    f"reports per minute, 2 worker processes ({args.reports} reports)",
                    f"{per_minute:.1f}",
                ],
                ["failed", failed],
            ],
            ["measure", "value"],
        )
    )
    print(f"\n(data under {BENCH_DIR})")


if __name__ == "__main__":
    main()
