"""A bounded load test: 50 signed-in users browsing, filling assessments and requesting
board reports for 60 seconds against gunicorn (2 workers) and a Celery worker on loopback.
Prints requests, errors and p50/p95 latency per kind of request, then how many requests the
web workers served and each worker's resident memory after them (the goal: under 150 MB
after 1,000 requests). Loopback only; it stops by itself.

    .venv/bin/python benchmarks/load_test.py [--users 50] [--seconds 60]
"""

import argparse
import http.cookiejar
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Server, setup_django, table, worker_rss_mb

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class User:
    """One signed-in browser: its own cookies, following redirects like a browser does."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get("/login/", "login")
        self.post("/login/", {"username": username, "password": password}, page, "login")

    def _open(self, request, kind: str, log: list | None = None) -> str:
        start = time.perf_counter()
        status, body = 0, ""
        try:
            with self.opener.open(request, timeout=60) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        if log is not None:
            log.append((kind, time.perf_counter() - start, status))
        return body

    def get(self, path, kind, log=None) -> str:
        return self._open(urllib.request.Request(self.base + path), kind, log)

    def post(self, path, data, page, kind, log=None) -> str:
        token = CSRF.search(page)
        data = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.base + path},
        )
        return self._open(request, kind, log)


def journey(user: User, rng: random.Random, log: list, agent_ids: list[int]):
    roll = rng.random()
    if roll < 0.45:
        path, kind = rng.choice(
            [("/", "browse: overview"), ("/assessments/", "browse: assessments"),
             ("/agents/board/", "browse: gate board"), ("/reports/", "browse: reports")]
        )  # fmt: skip
        user.get(path, kind, log)
    elif roll < 0.65:
        user.get(f"/agents/{rng.choice(agent_ids)}/", "browse: agent page", log)
    elif roll < 0.95:
        page = user.get("/assessments/new/", "assessment: new form", log)
        page = user.post(
            "/assessments/new/", {"title": f"Load {rng.random():.6f}", "start": "blank"},
            page, "assessment: create", log,
        )  # fmt: skip
        for step in range(1, 5):
            match = re.search(r'action="(/assessments/\d+/step/\d+/)"', page)
            version = re.search(r'name="version" value="(\d+)"', page)
            fields = re.findall(r'name="([a-z_]+)" value="[1-5]"', page)
            if not match or not version:
                log.append((f"assessment: step {step}", 0.0, 0))
                return
            scores = {n: str(rng.randint(2, 5)) for n in set(fields) if n != "version"}
            page = user.post(
                match.group(1), {"version": version.group(1), **scores}, page,
                "assessment: save step", log,
            )  # fmt: skip
    else:
        page = user.get("/reports/", "report: list", log)
        user.post("/reports/", {"title": "Load test pack"}, page, "report: request", log)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    setup_django("load")
    from django.core.management import call_command

    from accounts.models import Organization
    from accounts.services import member_set_roles
    from agents.models import Agent
    from core.roles import Role

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    demo = Organization.objects.get(slug="demo")
    for i in range(args.users):
        member_set_roles(
            organization=demo, username=f"load{i}", roles={Role.ASSESSOR, Role.VIEWER},
            password="load-test-pass-1234",
        )  # fmt: skip
    agent_ids = list(Agent.objects.filter(organization=demo).values_list("pk", flat=True))
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "readiness", "worker", "--concurrency", "1",
         "--loglevel", "ERROR", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    log: list = []
    lock = threading.Lock()
    try:
        with Server(workers=2) as server:
            users = [User(server.url, f"load{i}", "load-test-pass-1234") for i in range(args.users)]
            stop = time.monotonic() + args.seconds

            def run(index):
                rng = random.Random(index)
                mine: list = []
                while time.monotonic() < stop:
                    journey(users[index], rng, mine, agent_ids)
                with lock:
                    log.extend(mine)

            threads = [threading.Thread(target=run, args=(i,)) for i in range(args.users)]
            began = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - began
            memory = worker_rss_mb(server.proc.pid)  # before the server stops
    finally:
        worker.terminate()
        worker.wait(30)
    rows = []
    for kind in sorted({k for k, _, _ in log}):
        times = sorted(t for k, t, _ in log if k == kind)
        errors = sum(1 for k, _, s in log if k == kind and not 200 <= s < 400)
        rows.append(
            [kind, len(times), errors, f"{statistics.median(times) * 1000:.0f}",
             f"{times[max(0, int(len(times) * 0.95) - 1)] * 1000:.0f}"]
        )  # fmt: skip
    all_times = sorted(t for _, t, _ in log)
    errors = sum(1 for _, _, s in log if not 200 <= s < 400)
    rows.append(
        ["all", len(all_times), errors, f"{statistics.median(all_times) * 1000:.0f}",
         f"{all_times[int(len(all_times) * 0.95) - 1] * 1000:.0f}"]
    )  # fmt: skip
    print(f"{args.users} users for {elapsed:.0f} s, gunicorn 2 workers + 1 Celery worker\n")
    print(table(rows, ["request", "count", "errors", "p50 ms", "p95 ms"]))
    print(f"\n{len(log) / elapsed:.1f} requests/s overall")
    shown = ", ".join(f"{mb:.0f} MB" for mb in memory)
    # Each user's sign-in (the form, the POST, the page it leads to) comes before the timed
    # run: the workers served those too.
    served = len(log) + 3 * args.users
    print(f"web workers' resident memory after {served:,} requests ({len(log):,} timed): {shown}")
    from reports.models import Report

    done = Report.objects.filter(status="done").count()
    print(f"reports requested: {Report.objects.count()}, rendered by the worker: {done}")


if __name__ == "__main__":
    main()
