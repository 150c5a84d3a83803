"""promptfoo's results file (`promptfoo eval -o results.json`) read as the deployment gate
needs it (docs/rules.md §2, docs/ci.md): the counts, each test's outcome under a stable key,
whether the suite passed, and the delta between two runs. Pure: no Django.

The parts of the file read, and nothing else:

- `results.stats.successes`, `.failures`, `.errors`: whole numbers, the counts;
- `results.results[]`, one row per test (per prompt and provider when there are several), each
  with `success` (a boolean), `failureReason` (1 an assertion failed, 2 an error) and
  `testCase.description` / `testCase.vars` (else `vars`), `prompt.label`, `provider.id`.

A row's key is its test's description, else its variables as compact JSON with sorted keys;
when the run has several prompts (or providers), the prompt's label (and provider) come first:
`"friendly | the customer is thanked"`. A key met twice gets `" #2"`, `" #3"`... in the order of
the file, so repeated tests keep apart.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

PASS, FAIL, ERROR = "pass", "fail", "error"
OUTCOMES = (PASS, FAIL, ERROR)
KEY_MAX = 300
MAX_COUNT = 10**9


class ResultsError(ValueError):
    """The results are not promptfoo's format. `errors` maps a dotted path inside the file
    (`results.stats.failures`) to what is wrong there."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SuiteResults:
    """One suite's run: the counts of `results.stats` and each test's outcome by key."""

    passed: int
    failed: int
    errors: int
    outcomes: dict[str, str]

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors

    def pass_rate(self) -> float | None:
        """The percentage of tests that passed; None when no test ran."""
        return 100 * self.passed / self.total if self.total else None

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "outcomes": dict(self.outcomes),
        }


def _count(stats: Mapping[str, Any], name: str, errors: dict[str, str]) -> int:
    value = stats.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        errors[f"results.stats.{name}"] = "Must be a whole number from 0 (promptfoo's count)."
        return 0
    return value


def _text(value: Any) -> str:
    return value.strip().replace("\x00", "\ufffd") if isinstance(value, str) else ""


def _short(key: str) -> str:
    """Keys stay readable and bounded: a very long one keeps its start and a digest of all."""
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{key[: KEY_MAX - 16]}… {digest}"


def _vars_key(row: Mapping[str, Any]) -> str:
    test = row.get("testCase")
    variables = test.get("vars") if isinstance(test, Mapping) else None
    if not isinstance(variables, Mapping):
        variables = row.get("vars")
    if not isinstance(variables, Mapping) or not variables:
        return ""
    try:
        text = json.dumps(variables, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(sorted((str(k), repr(v)) for k, v in variables.items()))
    return text.replace("\x00", "\ufffd")


def _test_name(row: Mapping[str, Any], index: int) -> str:
    test = row.get("testCase")
    description = _text(test.get("description")) if isinstance(test, Mapping) else ""
    return description or _vars_key(row) or f"test {index + 1}"


def _prompt_name(row: Mapping[str, Any]) -> str:
    prompt = row.get("prompt")
    if isinstance(prompt, Mapping):
        name = _text(prompt.get("label")) or _text(prompt.get("id"))
        if name:
            return name
    index = row.get("promptIdx")
    return f"prompt {index}" if isinstance(index, int) and not isinstance(index, bool) else ""


def _provider_name(row: Mapping[str, Any]) -> str:
    provider = row.get("provider")
    if isinstance(provider, Mapping):
        return _text(provider.get("label")) or _text(provider.get("id"))
    return _text(provider)


def _outcome(row: Mapping[str, Any], path: str, errors: dict[str, str]) -> str:
    success = row.get("success")
    if not isinstance(success, bool):
        errors[f"{path}.success"] = "Must be true or false."
        return ERROR
    if success:
        return PASS
    reason = row.get("failureReason")
    if reason == 2 and not isinstance(reason, bool):
        return ERROR
    if reason == 1 and not isinstance(reason, bool):
        return FAIL
    # Files without failureReason: a row that was graded failed, one that never was errored.
    return FAIL if isinstance(row.get("gradingResult"), Mapping) else ERROR


def parse_results(data: Any) -> SuiteResults:
    """Read a results file already decoded from JSON; raise ResultsError naming every bad part."""
    if not isinstance(data, Mapping):
        raise ResultsError({"": "Send the JSON object that promptfoo eval -o results.json writes."})
    results = data.get("results")
    if not isinstance(results, Mapping):
        raise ResultsError({"results": "Missing: promptfoo's file holds an object here."})
    errors: dict[str, str] = {}
    counts = _stats_counts(results.get("stats"), errors)
    rows = _test_rows(results.get("results"), errors)
    parsed = _keyed_outcomes(rows, errors)
    if not errors and sum(counts) != len(rows):
        errors["results.stats"] = (
            f"The counts add up to {sum(counts)} tests but results.results holds {len(rows)}: "
            "send the whole file promptfoo wrote."
        )
    if errors:
        raise ResultsError(errors)
    return SuiteResults(
        passed=counts[0], failed=counts[1], errors=counts[2], outcomes=_unique_keys(parsed)
    )


def _stats_counts(stats: Any, errors: dict[str, str]) -> list[int]:
    """The successes, failures and errors of `results.stats` (0 for each one that is bad)."""
    if not isinstance(stats, Mapping):
        errors["results.stats"] = "Missing: promptfoo's file holds the counts here."
        return [0, 0, 0]
    return [_count(stats, name, errors) for name in ("successes", "failures", "errors")]


def _test_rows(rows: Any, errors: dict[str, str]) -> list[Any]:
    """`results.results`, the list of test rows (empty when it is not a list)."""
    if not isinstance(rows, list):
        errors["results.results"] = "Missing: promptfoo's file holds a list of test rows here."
        return []
    return rows


def _keyed_outcomes(rows: list[Any], errors: dict[str, str]) -> list[tuple[str, str]]:
    """Each row's key and outcome, in the file's order. The prompt (and provider) name the key
    only when the run has several, so a one-prompt suite keeps plain test names."""
    prompts = set()
    providers = set()
    for index, row in enumerate(rows):
        if isinstance(row, Mapping):
            prompts.add(_prompt_name(row))
            providers.add(_provider_name(row))
        else:
            errors[f"results.results.{index}"] = "Must be an object (one test's result)."
    parsed: list[tuple[str, str]] = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            continue
        prefix = []
        if len(prompts) > 1:
            prefix.append(_prompt_name(row) or "prompt")
        if len(providers) > 1:
            prefix.append(_provider_name(row) or "provider")
        key = " | ".join([*prefix, _test_name(row, index)])
        parsed.append((key, _outcome(row, f"results.results.{index}", errors)))
    return parsed


def _unique_keys(parsed: list[tuple[str, str]]) -> dict[str, str]:
    """The outcomes by key, a key met again numbered `" #2"`, `" #3"`... so repeats keep apart."""
    outcomes: dict[str, str] = {}
    seen: dict[str, int] = {}
    for key, outcome in parsed:
        seen[key] = seen.get(key, 0) + 1
        unique = key if seen[key] == 1 else f"{key} #{seen[key]}"
        while unique in outcomes:  # a description that itself ends in " #2"
            seen[key] += 1
            unique = f"{key} #{seen[key]}"
        outcomes[_short(unique)] = outcome
    return outcomes


def suite_from_json(stored: Any) -> SuiteResults | None:
    """A suite as stored by `SuiteResults.to_json`; None for anything else (a suite sent as a
    boolean stores nothing)."""
    if not isinstance(stored, Mapping):
        return None
    counts: list[int] = []
    for name in ("passed", "failed", "errors"):
        value = stored.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        counts.append(value)
    outcomes = stored.get("outcomes")
    if not isinstance(outcomes, Mapping):
        return None
    return SuiteResults(
        passed=counts[0],
        failed=counts[1],
        errors=counts[2],
        outcomes={str(k): str(v) for k, v in outcomes.items()},
    )


def threshold_error(value: Any) -> str | None:
    """Why a pass-rate threshold is refused (a percentage from 0 to 100), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "Must be a number: a percentage from 0 to 100."
    if not math.isfinite(value) or not 0 <= value <= 100:
        return "Must be a percentage from 0 to 100."
    return None


def suite_passed(suite: SuiteResults, pass_rate_threshold: float | None = None) -> bool:
    """A suite passed when it ran at least one test and counts no failure and no error; with a
    threshold (a percentage), when its pass rate reaches the threshold. Exact arithmetic:
    3 of 4 reaches 75."""
    if suite.total == 0:
        return False
    if pass_rate_threshold is None:
        return suite.failed == 0 and suite.errors == 0
    return Fraction(100 * suite.passed, suite.total) >= Fraction(repr(float(pass_rate_threshold)))


def outcome_delta(previous: Mapping[str, str], new: Mapping[str, str]) -> float | None:
    """The fraction of the previous run's tests whose outcome differs in the new run; a test
    missing from the new run counts as changed, a test only in the new run does not count.
    None when the previous run holds no test (there is nothing to compare)."""
    if not previous:
        return None
    changed = sum(1 for key, outcome in previous.items() if new.get(key) != outcome)
    return changed / len(previous)


def changed_tests(previous: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The keys counted as changed by `outcome_delta`, in the previous run's order."""
    return [key for key, outcome in previous.items() if new.get(key) != outcome]


def summary(suite: SuiteResults) -> str:
    """`"3/4 passed, 1 failed"`, `"0/2 passed, 2 errors"`: the counts in words."""
    words = [f"{suite.passed}/{suite.total} passed"]
    if suite.failed:
        words.append(f"{suite.failed} failed")
    if suite.errors:
        words.append(f"{suite.errors} error{'s' if suite.errors != 1 else ''}")
    return ", ".join(words)
