"""The demo organization's board pack, read as a board reads it: bad news first, in words,
dense, signed off (issue 16). Every test renders the real PDF and reads its text."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Organization
from accounts.selectors import member_get
from audit.models import AuditEntry, ChainHead
from audit.services import chain_name
from gates.models import GateDecision
from killswitch import services as killswitch_services
from reports import render as render_module
from reports import services

pytestmark = pytest.mark.django_db

RAW_CODES = re.compile(
    r"\b(not_ready|no_go|needs_review|nogo|needsreview|notready|NOTREADY|threshold_breach"
    r"|suspension_\w+|drill_ended|in_production|None|True|False|nan)\b"
)


def pages_of(report) -> list[str]:
    data = report.file.open("rb").read()
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    # One space for any run of spaces and line ends: a sentence reads the same wherever it wraps.
    return [" ".join(t.replace("\u2212", "-").split()) for t in texts]


@pytest.fixture
def demo(media, capsys):
    call_command("seed_demo")
    capsys.readouterr()
    return Organization.objects.get(slug="demo")


def render(organization, username="viewer", title="Q4 board pack"):
    member = member_get(organization=organization, username=username)
    report = services.report_request(membership=member, title=title)
    return services.report_render(report_id=report.pk)


def test_the_demo_pack_is_dense_whole_and_in_words(demo):
    report = render(demo)
    pages = pages_of(report)
    text = "\n".join(pages)

    assert len(pages) <= 10
    assert report.pages == len(pages)
    # No raw code, Python value, raw fraction, ISO date or signed comparison anywhere.
    assert not RAW_CODES.findall(text)
    assert not re.findall(r"\b0\.\d{3,}\b", text)
    assert not re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)
    assert not re.findall(r"[+-]\d+(\.\d+)? ?%", text)
    assert "vs people" not in text
    assert "{" not in text
    assert "}" not in text
    # Every page carries more than a sentence.
    for number, page in enumerate(pages, start=1):
        assert len(page.split()) > 60, f"page {number} is nearly empty: {page!r}"


def test_the_summary_leads_with_the_bad_news_on_one_page(demo):
    pages = pages_of(render(demo))
    summary = next(p for p in pages if "Executive summary Readiness verdict" in p)

    # Claims intake's error rate, four times people's, is the first risk named.
    risks = summary[summary.index("Risks") : summary.index("Suspensions and no-go")]
    assert "Claims intake" in risks
    assert "Error rate 14.0 % against people's 3.5 %: 4 times people's error rate" in risks
    assert "Refund triage" not in risks  # better than people and its thresholds
    # The suspension and the no-go of the period; what the board must decide or know.
    assert "suspended automatically" in summary
    assert "HR policy assistant" in summary
    assert "Sales email drafter: phase 1 was sent back to review" in summary
    assert "none rests on an attestation alone" in summary
    # Savings said in words with the right direction, and the verdict's change.
    assert "82 % lower cost per case than people" in summary
    assert "First board pack" in summary
    # Everything of the summary on its one page, before the matrix starts the next.
    for heading in ("Blockers", "For the board to decide or know", "Agents", "Outcomes against"):
        assert heading in summary
    following = pages[pages.index(summary) + 1]
    assert "Readiness matrix" in following


def test_the_pack_ends_signed_off_and_names_the_audit_chain_head(demo):
    report = render(demo)
    pages = pages_of(report)
    head = report.snapshot["audit_head"]
    stored = ChainHead.objects.get(chain=chain_name(demo.pk))

    assert head["chain"] == chain_name(demo.pk)
    # Frozen before the request's own entry; that entry and later ones extend the chain.
    assert head["seq"] < stored.seq
    entry = AuditEntry.objects.get(chain=head["chain"], seq=head["seq"])
    assert entry.hash == head["hash"]
    text = "\n".join(pages)
    assert f"Audit trail: entry #{head['seq']}, hash {head['hash'][:16]}" in text
    assert "manage.py verify_audit_log" in text
    last = pages[-1]
    assert "Sign-off" in last
    assert "Prepared by viewer" in last
    assert "Reviewed by" in last


def test_the_anomaly_log_lists_resumes_with_date_and_time_apart(demo):
    operator = member_get(organization=demo, username="operator")
    approver = member_get(organization=demo, username="approver")
    agent = demo.agents.get(name="Invoice matcher")
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Odd payments")
    killswitch_services.agent_resume(agent=agent, membership=approver, reason="Payments reconciled")

    text = "\n".join(pages_of(render(demo)))
    log = text[text.index("Anomaly log Alert thresholds crossed") :]

    assert "Date Time (UTC) Agent Event By" in log
    assert "Suspended by an operator: Odd payments" in log
    assert "Resumed: Payments reconciled" in log
    assert "Kill-switch drill ended: The runtime confirmed the stop after 4.2 seconds" in log
    assert "Error rate 14.0 % above its alert limit of 10 %" in log
    assert not re.findall(r"\d{2}:\d{2}\d{4}", log)  # never a time run into a date


def test_money_is_in_the_organizations_currency_and_the_change_is_in_the_summary(demo):
    first = render(demo, title="Q3 board pack")
    assert first.status == "done"
    demo.currency = "EUR"
    demo.save(update_fields=["currency"])

    report = render(demo)
    text = "\n".join(pages_of(report))

    assert report.snapshot["currency"] == "EUR"
    assert "€1.17" in text
    assert "$" not in text
    assert "Unchanged since the previous pack: ready at 14/20 then, ready at 14/20 now." in text


def test_a_report_frozen_before_version_2_still_renders_in_words(demo):
    member = member_get(organization=demo, username="viewer")
    snapshot = services.report_request(membership=member).snapshot
    old = {k: v for k, v in snapshot.items() if k not in ("currency", "audit_head", "board")}
    old["version"] = 1
    old["outcomes"] = [
        {k: v for k, v in o.items() if k not in ("baseline", "avg_cycle_time_s", "risks")}
        for o in snapshot["outcomes"]
    ]

    html = render_module.report_html(old)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())

    assert "Error rate 14.0 % against people's 3.5 %: 4 times people's error rate" in text
    assert "requested before board reports recorded the audit chain's head" in text
    assert not RAW_CODES.findall(re.sub(r"<[^>]+>", " ", html.split("<body>")[1]))


def test_an_advance_that_is_due_is_put_to_the_board(demo):
    # Refund triage went to production ten weeks ago: stabilization's eight weeks are over,
    # and its figures meet every advance threshold.
    GateDecision.objects.filter(gate__agent__name="Refund triage", gate__phase=4).update(
        decided_at=timezone.now() - timedelta(weeks=10)
    )
    report = render(demo)

    assert report.snapshot["board"]["advances_due"] == [
        {"agent": "Refund triage", "from": "stabilization", "to": "scaling"}
    ]
    summary = next(p for p in pages_of(report) if "Executive summary Readiness verdict" in p)
    assert "Refund triage: due to advance from stabilization to scaling" in summary
