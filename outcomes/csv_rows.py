"""Reading a metrics CSV into the plain values a snapshot is checked with (docs/rules.md §3):
each row goes through outcomes.inputs.SnapshotInput, as the form's values and the API's body
do, so its refusals are in the same words. Pure: no Django.

- Columns are separated by commas, or by semicolons (as spreadsheets save CSV where the comma
  is the decimal mark): the header row decides. In a semicolon file a decimal comma is read as
  a decimal point ("0,04", "1850,50").
- Rates (`baseline_error_rate`, `quality_score`) are fractions from 0 to 1, as in the API
  ("0.04"), or percentages with a % sign ("4%", "4 %", "4.5%"): one unit for people, who write
  percentages, and one for machines, which send fractions.
- Counts are whole numbers, the other columns decimals. A cell that does not parse stays text,
  so that SnapshotInput names it; a date stays text for it to check.
"""

import csv
import io
import re

from core.errors import InvalidInput

from .metrics import (
    ALL_FIELDS,
    COUNT_FIELDS,
    FRACTION_FIELDS,
    OPTIONAL_COUNT_FIELDS,
    OPTIONAL_FRACTION_FIELDS,
)

MAX_ROWS = 5000
INTEGER_FIELDS = (*COUNT_FIELDS, *OPTIONAL_COUNT_FIELDS)
RATE_FIELDS = (*FRACTION_FIELDS, *OPTIONAL_FRACTION_FIELDS)
DATE_FIELDS = ("period_start", "period_end")
PERCENT = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)\s*%")
DECIMAL_COMMA = re.compile(r"(-?[0-9]+),([0-9]+\s*%?)")


def delimiter_of(text: str) -> str:
    """A semicolon when the header row holds more semicolons than commas, else a comma."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def cell_value(key: str, value: str, *, decimal_comma: bool = False):
    """One cell as the rule takes it: None when empty, an int, a float, or the text itself."""
    value = value.strip()
    if value == "":
        return None
    if key in DATE_FIELDS:
        return value
    if decimal_comma:
        match = DECIMAL_COMMA.fullmatch(value)
        if match:
            value = f"{match[1]}.{match[2]}"
    if key in RATE_FIELDS:
        match = PERCENT.fullmatch(value)
        if match:
            return float(match["number"]) / 100
    try:
        return int(value) if key in INTEGER_FIELDS else float(value)
    except ValueError:
        return value


def parse_rows(text: str) -> list[dict]:
    """Rows of a metrics CSV (a header row of field names) as dicts of typed values. Raises
    InvalidInput on "file" for a file without a header, rows, or known columns."""
    delimiter = delimiter_of(text)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise InvalidInput({"file": ["The file is empty: it needs a header row and data rows."]})
    unknown = [f for f in reader.fieldnames if f and f.strip() not in ALL_FIELDS]
    if unknown:
        separated = "" if delimiter == "," else " (the file is read as semicolon-separated)"
        raise InvalidInput(
            {
                "file": [
                    f"Unknown column{'s' if len(unknown) != 1 else ''} {', '.join(unknown)}"
                    f"{separated}: use "
                    f"{', '.join(ALL_FIELDS)}."
                ]
            }
        )
    rows = []
    for raw in reader:
        rows.append(
            {
                key.strip(): cell_value(key.strip(), value or "", decimal_comma=delimiter == ";")
                for key, value in raw.items()
                if key is not None
            }
        )
    if not rows:
        raise InvalidInput({"file": ["The file has a header but no data rows."]})
    if len(rows) > MAX_ROWS:
        raise InvalidInput({"file": [f"At most {MAX_ROWS} rows per upload."]})
    return rows
