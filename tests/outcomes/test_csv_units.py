"""One unit for people in the CSV upload (issue 17): a rate with a % sign is a percentage, a
plain number a fraction (as in the API); semicolon-separated files (with decimal commas) are
read; an impossible date says it is not a real date, apart from a malformed one."""

import csv
import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import InvalidInput
from outcomes import csv_rows
from outcomes import services as ms
from outcomes.models import MetricSnapshot
from overview import services as overview_services

ROW = {
    "period_start": "2026-03-01",
    "period_end": "2026-03-31",
    "tasks": "100",
    "tasks_completed": "95",
    "escalations": "5",
    "errors": "2",
    "cost": "190.5",
    "avg_cycle_time_s": "60",
    "baseline_cost_per_case": "4",
    "baseline_cycle_time_s": "240",
    "baseline_error_rate": "0.05",
}


def check(row: dict, today=date(2026, 12, 1)) -> tuple[dict, dict]:
    """(clean values, errors) of a decoded row, checked as the import checks it."""
    checked = ms.snapshot_check(row, today=today)
    return (checked.snapshot.model_dump() if checked.snapshot else {}), checked.errors


def csv_text(*rows: dict, delimiter=",") -> str:
    header = list(ROW) + sorted({k for r in rows for k in r} - set(ROW))
    lines = [delimiter.join(header)]
    for row in rows:
        values = {**ROW, **row}
        lines.append(delimiter.join(values.get(name, "") for name in header))
    return "\n".join(lines)


# --------------------------------------------------------------------------- the pure reader


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("0.12", 0.12),
        ("12%", 0.12),
        ("12 %", 0.12),
        ("4.5%", 0.045),
        ("0%", 0.0),
        ("100%", 1.0),
        ("0", 0.0),
        ("1", 1.0),
    ],
)
def test_a_rate_is_a_fraction_or_a_percentage_with_its_sign(cell, value):
    (row,) = csv_rows.parse_rows(csv_text({"baseline_error_rate": cell}))

    assert row["baseline_error_rate"] == pytest.approx(value)


def test_a_plain_number_above_one_stays_a_fraction_and_the_rule_refuses_it():
    (row,) = csv_rows.parse_rows(csv_text({"baseline_error_rate": "12"}))

    assert row["baseline_error_rate"] == 12
    _, errors = check(row, today=date(2026, 6, 1))
    assert errors == {"baseline_error_rate": ["Must be a fraction from 0 to 1."]}


def test_the_quality_score_takes_a_percentage_too():
    (row,) = csv_rows.parse_rows(csv_text({"quality_score": "86%"}))

    assert row["quality_score"] == pytest.approx(0.86)


@pytest.mark.parametrize("cell", ["12%", "5 %"])
def test_a_percent_sign_in_a_count_or_an_amount_stays_text_for_the_rule_to_refuse(cell):
    (row,) = csv_rows.parse_rows(csv_text({"tasks": cell, "cost": cell}))

    assert row["tasks"] == cell
    assert row["cost"] == cell
    _, errors = check(row, today=date(2026, 6, 1))
    assert {"tasks", "cost"} <= set(errors)


@pytest.mark.parametrize("cell", ["12%%", "%12", "twelve %", "-5%"])
def test_a_malformed_percentage_stays_text(cell):
    (row,) = csv_rows.parse_rows(csv_text({"baseline_error_rate": cell}))

    assert row["baseline_error_rate"] == cell


def test_a_semicolon_separated_file_is_read_with_its_decimal_commas():
    text = csv_text({"cost": "190,5", "baseline_error_rate": "0,05"}, delimiter=";")

    (row,) = csv_rows.parse_rows(text)

    assert row["tasks"] == 100
    assert row["cost"] == pytest.approx(190.5)
    assert row["baseline_error_rate"] == pytest.approx(0.05)


def test_a_semicolon_file_takes_a_percentage_with_a_decimal_comma():
    (row,) = csv_rows.parse_rows(csv_text({"baseline_error_rate": "4,5 %"}, delimiter=";"))

    assert row["baseline_error_rate"] == pytest.approx(0.045)


def test_a_comma_file_never_reads_a_decimal_comma():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(ROW))
    writer.writerow([*list(ROW.values())[:6], "190,5", *list(ROW.values())[7:]])

    (row,) = csv_rows.parse_rows(out.getvalue())

    assert row["cost"] == "190,5"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("period_start,period_end,tasks", ","),
        ("period_start;period_end;tasks", ";"),
        ("period_start", ","),
        ("a;b,c;d", ";"),
    ],
)
def test_the_header_row_decides_the_separator(header, delimiter):
    assert csv_rows.delimiter_of(header + "\n1,2,3") == delimiter


def test_unknown_columns_of_a_semicolon_file_say_how_it_was_read():
    with pytest.raises(InvalidInput) as error:
        csv_rows.parse_rows("period_start;nonsense\n2026-01-01;1")

    assert "Unknown column nonsense (the file is read as semicolon-separated)" in str(
        error.value.errors["file"]
    )


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2026-09-31", "2026-09-31 is not a real date: September 2026 has 30 days."),
        ("2025-02-29", "2025-02-29 is not a real date: February 2025 has 28 days."),
        ("2026-13-01", "2026-13-01 is not a real date: there is no month 13."),
        ("2026-00-10", "2026-00-10 is not a real date: there is no month 0."),
        ("31/09/2026", "Use an ISO date (YYYY-MM-DD)."),
        ("2026-9-30", "Use an ISO date (YYYY-MM-DD)."),
        ("September", "Use an ISO date (YYYY-MM-DD)."),
    ],
)
def test_an_impossible_date_is_not_a_real_date_and_a_malformed_one_asks_for_iso(cell, message):
    (row,) = csv_rows.parse_rows(csv_text({"period_end": cell}))

    _, errors = check(row)

    assert errors["period_end"] == [message]


def test_a_leap_day_is_a_real_date():
    (row,) = csv_rows.parse_rows(
        csv_text({"period_start": "2024-02-01", "period_end": "2024-02-29"})
    )

    clean, errors = check(row)

    assert errors == {}
    assert clean["period_end"] == date(2024, 2, 29)


# --------------------------------------------------------------------------- the upload page


@pytest.fixture
def agent(assessor):
    return overview_services.agent_create(
        membership=assessor, data={"name": "Refund bot", "owner": assessor.user.username}
    )


def upload(client, agent, text, name="metrics.csv"):
    return client.post(
        reverse("outcomes:upload", args=[agent.pk]),
        {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")},
    )


def test_a_semicolon_file_with_percentages_previews_and_saves(agent, operator, client_for):
    client = client_for(operator)
    text = csv_text(
        {"baseline_error_rate": "5 %", "cost": "190,5"},
        {"period_start": "2026-04-01", "period_end": "2026-04-30", "baseline_error_rate": "0,05"},
        delimiter=";",
    )

    preview = upload(client, agent, text)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Every row is valid" in page
    client.post(reverse("outcomes:upload", args=[agent.pk]), {"token": preview.context["token"]})
    saved = list(MetricSnapshot.objects.order_by("period_start"))
    assert [s.baseline_error_rate for s in saved] == [pytest.approx(0.05)] * 2
    assert saved[0].cost == pytest.approx(190.5)


def test_the_upload_preview_says_not_a_real_date(agent, operator, client_for):
    text = csv_text({"period_start": "2026-09-01", "period_end": "2026-09-31"})

    response = upload(client_for(operator), agent, text)

    page = response.content.decode()
    assert "2026-09-31 is not a real date: September 2026 has 30 days." in page
    assert 'name="token"' not in page
    assert not MetricSnapshot.objects.exists()


def test_the_upload_page_explains_the_units_and_the_separators(agent, operator, client_for):
    page = client_for(operator).get(reverse("outcomes:upload", args=[agent.pk])).content.decode()

    units = page.split('id="rate-units"')[1].split("</li>")[0]
    assert "a value with a % sign is a percentage, a plain number a fraction" in units
    assert "or by semicolons" in page
    assert "not a real date" in page


def test_the_csv_template_shows_a_percentage_and_reads_back(operator, client_for):
    response = client_for(operator).get(reverse("outcomes:template"))
    text = response.content.decode()

    (row,) = csv_rows.parse_rows(text)

    assert ",4%," in text
    assert row["baseline_error_rate"] == pytest.approx(0.04)
    assert row["quality_score"] == pytest.approx(0.86)


# --------------------------------------------------------------------------- one definition


BAD = {"tasks_completed": "120", "cost": "-1.5", "quality_score": "1.5"}
SAME_WORDS = {
    "tasks_completed": ["Cannot exceed tasks (100)."],
    "cost": ["Must not be negative."],
    "quality_score": ["Must be a fraction from 0 to 1."],
}


def test_a_csv_row_the_api_and_the_form_refuse_in_the_same_words(
    agent, operator, client_for, api_for
):
    # the CSV preview names the row and the field
    page = upload(client_for(operator), agent, csv_text(BAD)).content.decode()
    row = page.split('data-row="1"')[1].split("</tr>")[0]
    for field, (message,) in SAME_WORDS.items():
        label = "Quality score (0 to 1)" if field == "quality_score" else field.replace("_", " ")
        assert f"{label.capitalize()}:</strong> {message}" in row
    # the API
    body = {**ROW, **BAD}
    body = {k: v if k.startswith("period") else float(v) for k, v in body.items()}
    body.update(tasks=100, tasks_completed=120, escalations=5, errors=2)
    response = api_for(operator).post(f"/api/v1/agents/{agent.pk}/metrics", body)
    assert response.status_code == 400
    assert response.json()["errors"] == SAME_WORDS
    # the form, where the page's units are the API's (the quality score is reworded as a score)
    form = {**ROW, **BAD, "baseline_error_rate": "5"}
    errors = client_for(operator).post(reverse("outcomes:new", args=[agent.pk]), form)
    errors = errors.context["form"].errors
    assert errors["tasks_completed"] == SAME_WORDS["tasks_completed"]
    assert errors["cost"] == SAME_WORDS["cost"]
    assert errors["quality_score"] == ["Enter a score from 0 to 1, e.g. 0.82."]
    assert not MetricSnapshot.objects.exists()


def test_the_form_states_no_bound_the_definition_refuses_beyond_ten_to_the_twelve(
    agent, operator, client_for
):
    form = {**ROW, "cost": str(10**12 + 1), "baseline_error_rate": "5"}

    response = client_for(operator).post(reverse("outcomes:new", args=[agent.pk]), form)

    assert response.status_code == 400
    assert response.context["form"].errors["cost"] == ["Must be at most 10^12."]
    (tag,) = re.findall(r'<input[^>]*name="cost"[^>]*>', response.content.decode())
    assert 'max="1000000000000"' in tag  # the bound told to the browser, as a hint
    assert not MetricSnapshot.objects.exists()
