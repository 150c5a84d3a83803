#!/usr/bin/env python3
"""readiness-ci: post a prompt version from a CI job to Readiness and fail the job when it may
not ship.

    readiness-ci prompt-version --url https://readiness.example.com --token "$READINESS_TOKEN" \\
        --agent 12 --tag v7 --regression results.json [--adversarial adversarial.json] \\
        [--rollback-target v6] [--tolerance 0.05] [--delta X] [--pass-rate-threshold P]

The results files are what `promptfoo eval -o results.json` writes. Without --delta the server
computes it against the agent's current version's results. Exit codes: 0 the version may ship,
1 it may not, 2 a usage, network or server error, or a refused post (400, 409).

One file, standard library only: installed with the project as the `readiness-ci` command,
and served by the app at /ci/readiness-ci.py so a CI job can fetch it from the same host.
--token may be left out when READINESS_TOKEN is set, --url when READINESS_URL is.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

SHIP, NO_SHIP, ERROR = 0, 1, 2
TIMEOUT_SECONDS = 120


class Failure(Exception):
    """Anything that ends the run with exit code 2; the message says what to do."""


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of 0 or more: {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="readiness-ci", description="Readiness from a CI pipeline (docs/ci.md)."
    )
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    post = commands.add_parser(
        "prompt-version",
        help="post a prompt version with its promptfoo results; exit 0 when it may ship",
        description="Post a prompt version with promptfoo's results files. Exit 0 when it "
        "may ship, 1 when it may not, 2 on any error.",
    )
    post.add_argument(
        "--url",
        default=os.environ.get("READINESS_URL"),
        help="the Readiness site, e.g. https://readiness.example.com (or READINESS_URL)",
    )
    post.add_argument(
        "--token",
        default=os.environ.get("READINESS_TOKEN"),
        help="an assessor's API token, rdy_... (or READINESS_TOKEN)",
    )
    post.add_argument("--agent", required=True, help="the agent's id")
    post.add_argument("--tag", required=True, help="the prompt version's tag, e.g. v7")
    post.add_argument(
        "--regression", required=True, metavar="FILE", help="promptfoo's results.json"
    )
    post.add_argument(
        "--adversarial",
        metavar="FILE",
        help="promptfoo's results of the adversarial configuration; without it the "
        "adversarial suite counts as not passed",
    )
    post.add_argument("--rollback-target", default="", metavar="TAG", help="tag to roll back to")
    post.add_argument(
        "--tolerance", type=_number, default=0.05, help="largest delta that ships (0.05)"
    )
    post.add_argument(
        "--delta", type=_number, help="the delta, if you compute it; else the server does"
    )
    post.add_argument(
        "--pass-rate-threshold",
        type=_number,
        metavar="PERCENT",
        help="a suite passes when this percentage of its tests passed (default: all of them)",
    )
    post.add_argument("--json", action="store_true", help="also print the answer as JSON")
    return top


def _results(path: str, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        why = error.strerror or error
        raise Failure(f"Cannot read the {what} results {path}: {why}.") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise Failure(f"The {what} results {path} are not JSON: {error}.") from None
    if not isinstance(data, dict):
        raise Failure(f"The {what} results {path} are not promptfoo's results object.")
    return data


def _endpoint(url: str | None, agent: str) -> str:
    if not url:
        raise Failure("Give the site with --url (or set READINESS_URL).")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Failure(f"--url must be an http or https address, not {url!r}.")
    return f"{url.rstrip('/')}/api/v1/agents/{urllib.parse.quote(agent, safe='')}/prompt-versions"


def body_of(args: argparse.Namespace) -> dict:
    body: dict = {
        "tag": args.tag,
        "regression": _results(args.regression, "regression"),
        "tolerance": args.tolerance,
        "rollback_target": args.rollback_target,
    }
    if args.adversarial:
        body["adversarial"] = _results(args.adversarial, "adversarial")
    else:
        body["adversarial_passed"] = False
    if args.delta is not None:
        body["delta"] = args.delta
    if args.pass_rate_threshold is not None:
        body["pass_rate_threshold"] = args.pass_rate_threshold
    return body


def post(endpoint: str, token: str, body: dict) -> dict:
    """POST the version; answer the decoded 201 body, or raise Failure with the server's words."""
    request = urllib.request.Request(
        endpoint,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "readiness-ci",
        },
    )
    try:
        # The scheme is checked in _endpoint: http or https only.
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # nosec B310
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise Failure(_refusal(error.code, error.read())) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise Failure(f"Cannot reach {endpoint}: {reason}.") from None
    try:
        answer = json.loads(raw)
    except ValueError:
        raise Failure(f"The server answered something that is not JSON from {endpoint}.") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("ship"), bool):
        raise Failure("The server's answer has no ship field: is --url the Readiness site?")
    return answer


def _refusal(status: int, raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    lines = [f"The server refused the version ({status})."]
    if isinstance(data, dict):
        if isinstance(data.get("detail"), str):
            lines.append(data["detail"])
        for reason in data.get("reasons") or []:
            if isinstance(reason, dict):
                lines.append(f"  - {reason.get('code')}: {reason.get('message')}")
        errors = data.get("errors")
        if isinstance(errors, dict):
            for field, messages in errors.items():
                text = "; ".join(str(m) for m in messages) if isinstance(messages, list) else ""
                lines.append(f"  - {field}: {text or messages}")
    elif raw:
        lines.append(raw[:500].decode("utf-8", "replace"))
    return "\n".join(lines)


def _suite_line(answer: dict, suite: str) -> str:
    results = answer.get(f"{suite}_results")
    state = "passed" if answer.get(f"{suite}_passed") else "did not pass"
    if isinstance(results, dict):
        counts = f"{results.get('passed')}/{results.get('total')} passed"
        if results.get("failed"):
            counts += f", {results.get('failed')} failed"
        if results.get("errors"):
            counts += f", {results.get('errors')} errors"
        return f"  {suite}: {state} ({counts})"
    return f"  {suite}: {state}"


def _figure(value: object) -> str:
    return f"{value:g}" if isinstance(value, (float, int)) and not isinstance(value, bool) else "?"


def report(answer: dict) -> str:
    """The answer in words: whether it ships, each suite, the delta and how it was obtained,
    and the reasons."""
    verdict = "may ship" if answer["ship"] else "may NOT ship"
    lines = [f"Prompt version {answer.get('tag')}: {verdict}."]
    lines.append(_suite_line(answer, "regression"))
    lines.append(_suite_line(answer, "adversarial"))
    source = answer.get("delta_source")
    how = {
        "given": "given",
        "computed": f"computed against {answer.get('delta_against')}",
        "first_version": "first version, nothing to compare with",
        "no_previous_results": (
            f"the current version {answer.get('delta_against')} stored no results to compare"
        ),
    }.get(str(source), str(source))
    delta, tolerance = _figure(answer.get("delta")), _figure(answer.get("tolerance"))
    lines.append(f"  delta {delta} ({how}), tolerance {tolerance}")
    if answer.get("current"):
        lines.append("  It is now the agent's current prompt version.")
    reasons = answer.get("reasons") or []
    if reasons:
        lines.append("Reasons:")
        lines.extend(f"  - {r.get('code')}: {r.get('message')}" for r in reasons)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # a usage error exits 2 here
    try:
        if not args.token:
            raise Failure("Give an assessor's API token with --token (or set READINESS_TOKEN).")
        endpoint = _endpoint(args.url, args.agent)
        answer = post(endpoint, args.token, body_of(args))
    except Failure as failure:
        print(f"readiness-ci: {failure}", file=sys.stderr)
        return ERROR
    print(report(answer))
    if args.json:
        print(json.dumps(answer, indent=2))
    return SHIP if answer["ship"] else NO_SHIP


if __name__ == "__main__":
    sys.exit(main())
