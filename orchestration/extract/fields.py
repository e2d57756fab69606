"""Field rules of the landing contract, compiled to one DuckDB SELECT per source.

Each accepted value is checked against the exact type the contract names. DuckDB
reports the JSON type of every value (`12` is UBIGINT, `"12"` VARCHAR, `12.0`
DOUBLE), so a type change deep inside a file is caught without coercion, in a
single vectorised pass. CSV cells arrive as text and are checked by pattern.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Ordered by how the contract lists them: a line with several faults gets the first
# (before these: invalid_encoding, then invalid_json or wrong_field_count).
REASONS = (
    "missing_field",
    "wrong_type",
    "negative_count",
    "out_of_range",
    "invalid_value",
    "invalid_timestamp",
    "timestamp_before_partitions",
    "timestamp_after_delivery",
    "inconsistent_value",
)

# Counts above this are `out_of_range`: the sum of a day's valid counts then
# stays far inside a 64-bit integer, in DuckDB as in any downstream engine.
MAX_COUNT = 10**12

_INT = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# UTC offsets in use run from -12:00 to +14:00; anything else (`+99:99`,
# `+15:00`) is a corrupt timestamp, which DuckDB alone would accept and shift.
_OFFSET = r"[Zz]|\+((0[0-9]|1[0-3]):?[0-5][0-9]|14:?00)|-((0[0-9]|1[01]):?[0-5][0-9]|12:?00)"
_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    rf"({_OFFSET})$"
)


@dataclass(frozen=True)
class Field:
    """One column of a source.

    kind: string | count (non-negative int, a negative is `negative_count`) |
    int (with optional `minimum`, below it `invalid_value`) | decimal | date |
    timestamp | boolean | enum (string in `allowed`, compared lower-cased).
    """

    name: str
    kind: str = "string"
    required: bool = True
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    json_path: str | None = None
    # Timestamps after the delivery date (+1 day) of their file are rejected.
    check_delivery: bool = False
    column: str | None = None  # raw column name when it differs from `name`
    # Name of the field this one is a part of: when any part of a whole is
    # present, the parts (absent = 0) must add up to it, else `inconsistent_value`.
    part_of: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def raw_column(self) -> str:
        return self.column or self.name


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


SQL_TYPES = {
    "string": "VARCHAR",
    "enum": "VARCHAR",
    "count": "BIGINT",
    "int": "BIGINT",
    "decimal": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class _Cell:
    """SQL expressions that describe one field of the row being validated."""

    text: str  # the value as text, NULL when absent
    absent: str  # true when missing, null or empty
    type_ok: str  # true when the value has the contract's type (given present)
    # the column holding the value parsed as a timestamp, computed once per line
    # (validation_select's _timed step); used by timestamp fields only
    parsed: str

    @property
    def number(self) -> str:
        """The value as a DOUBLE, for sign and range rules: unlike BIGINT it
        cannot overflow (a 400-digit count is +inf), and it is exact for every
        integer up to 2^53, far beyond MAX_COUNT."""
        return f"try_cast(trim({self.text}) AS DOUBLE)"


# A JSON integer beyond 64 bits is typed DOUBLE by DuckDB but keeps its digits
# as text; it is still an integer (and out of range), not a wrong type.
_JSON_INTEGER = (
    "({t} IN ('UBIGINT', 'BIGINT') OR ({t} = 'DOUBLE' AND regexp_full_match({s}, '-?[0-9]+')))"
)


def _json_cell(index: int, f: Field) -> _Cell:
    jtype = f"t_{index}"
    text = f"s_{index}"
    absent = f"({jtype} IS NULL OR {jtype} = 'NULL' OR ({jtype} = 'VARCHAR' AND {text} = ''))"
    integer = _JSON_INTEGER.format(t=jtype, s=text)
    type_ok = {
        "count": integer,
        "int": integer,
        "decimal": f"{jtype} IN ('UBIGINT', 'BIGINT', 'DOUBLE')",
        "boolean": f"{jtype} = 'BOOLEAN'",
    }.get(f.kind, f"{jtype} = 'VARCHAR'")
    return _Cell(text=text, absent=absent, type_ok=type_ok, parsed=f"ts_{index}")


def _csv_cell(index: int, f: Field) -> _Cell:
    text = f"s_{index}"
    absent = f"({text} IS NULL OR trim({text}) = '')"
    if f.kind in ("count", "int"):
        # Any run of digits is an integer; its size is the range rule's business.
        type_ok = f"regexp_full_match(trim({text}), {_quote(_INT)})"
    elif f.kind == "decimal":
        type_ok = f"(regexp_full_match(trim({text}), {_quote(_DECIMAL)}) AND try_cast(trim({text}) AS DOUBLE) IS NOT NULL)"
    elif f.kind == "boolean":
        type_ok = f"lower(trim({text})) IN ('true', 'false')"
    else:
        type_ok = "true"
    return _Cell(text=text, absent=absent, type_ok=type_ok, parsed=f"ts_{index}")


def _timestamp_of(text: str) -> str:
    return f"CAST(try_cast(trim({text}) AS TIMESTAMPTZ) AS TIMESTAMP)"


def _typed(cell: _Cell, f: Field) -> str:
    value = f"trim({cell.text})" if f.kind not in ("string", "enum") else cell.text
    if f.kind == "timestamp":
        return cell.parsed
    if f.kind == "boolean":
        return f"(lower({value}) = 'true')"
    if f.kind == "enum":
        # Enums are matched case-insensitively, so store them in one case.
        return f"nullif(lower(trim({value})), '')"
    if f.kind == "string":
        return f"nullif({value}, '')"
    return f"try_cast({value} AS {SQL_TYPES[f.kind]})"


def _rules(
    cells: list[tuple[Field, _Cell]], partitions_start: dt.date | None
) -> list[tuple[str, str, str]]:
    """(condition, reason, detail-expression) in priority order."""
    rules: list[tuple[str, str, str]] = []
    for f, c in cells:
        if f.required:
            rules.append((c.absent, "missing_field", _quote(f"{f.name} is missing")))
    for f, c in cells:
        rules.append(
            (
                f"(NOT {c.absent} AND NOT ({c.type_ok}))",
                "wrong_type",
                f"{_quote(f'{f.name}: expected {f.kind}, got ')} || coalesce({c.text}, 'null')",
            )
        )
    for f, c in cells:
        if f.kind == "count":
            rules.append(
                (
                    f"(NOT {c.absent} AND {c.number} < 0)",
                    "negative_count",
                    f"{_quote(f'{f.name} is negative: ')} || {c.text}",
                )
            )
    for f, c in cells:
        if f.kind in ("count", "int"):
            condition = f"{c.number} > {MAX_COUNT}"
            detail = f"{f.name} is above {MAX_COUNT:,}: "
        elif f.kind == "decimal":
            condition = f"NOT isfinite({c.number})"
            detail = f"{f.name} is not a finite number: "
        else:
            continue
        rules.append(
            (
                f"(NOT {c.absent} AND {condition})",
                "out_of_range",
                f"{_quote(detail)} || {c.text}",
            )
        )
    for f, c in cells:
        condition = None
        if f.kind == "enum":
            allowed = ", ".join(_quote(a) for a in f.allowed)
            condition = f"lower(trim({c.text})) NOT IN ({allowed})"
        elif f.kind in ("int", "decimal") and f.minimum is not None:
            condition = f"{c.number} < {f.minimum}"
        elif f.kind == "date":
            condition = f"NOT (regexp_full_match(trim({c.text}), {_quote(_DATE)}) AND try_cast(trim({c.text}) AS DATE) IS NOT NULL)"
        if condition:
            rules.append(
                (
                    f"(NOT {c.absent} AND {condition})",
                    "invalid_value",
                    f"{_quote(f'{f.name}: unexpected value ')} || {c.text}",
                )
            )
    for f, c in cells:
        if f.kind == "timestamp":
            rules.append(
                (
                    f"(NOT {c.absent} AND NOT (regexp_full_match(trim({c.text}), {_quote(_TIMESTAMP)}) AND {_typed(c, f)} IS NOT NULL))",
                    "invalid_timestamp",
                    f"{_quote(f'{f.name}: not an ISO-8601 timestamp with offset: ')} || {c.text}",
                )
            )
    if partitions_start is not None:
        for f, c in cells:
            if f.kind == "timestamp":
                rules.append(
                    (
                        f"(NOT {c.absent} AND {_before_start(_typed(c, f), partitions_start)})",
                        "timestamp_before_partitions",
                        f"{_quote(f'{f.name} is before the first partition day {partitions_start}: ')} || {c.text}",
                    )
                )
    for f, c in cells:
        if f.kind == "timestamp" and f.check_delivery:
            rules.append(
                (
                    f"(NOT {c.absent} AND CAST({_typed(c, f)} AS DATE) > _dt + INTERVAL 1 DAY)",
                    "timestamp_after_delivery",
                    f"{_quote(f'{f.name} is more than one day after the delivery date: ')} || {c.text}",
                )
            )
    rules += _consistency_rules(cells)
    return rules


def _consistency_rules(cells: list[tuple[Field, _Cell]]) -> list[tuple[str, str, str]]:
    """`inconsistent_value` when present parts do not add up to their whole
    (e.g. Anthropic's 5-minute + 1-hour cache-write split)."""
    by_name = {f.name: (f, c) for f, c in cells}
    wholes = dict.fromkeys(f.part_of for f, _ in cells if f.part_of)
    rules = []
    for whole in wholes:
        total_field, total_cell = by_name[whole]
        parts = [(f, c) for f, c in cells if f.part_of == whole]
        any_present = " OR ".join(f"NOT {c.absent}" for _, c in parts)
        total = " + ".join(f"coalesce({_typed(c, f)}, 0)" for f, c in parts)
        names = " + ".join(f.name for f, _ in parts)
        rules.append(
            (
                f"(({any_present}) AND {total} <> {_typed(total_cell, total_field)})",
                "inconsistent_value",
                f"{_quote(f'{names} does not equal {whole}: ')} || ({total}) "
                f"|| ' <> ' || {total_cell.text}",
            )
        )
    return rules


def _before_start(typed: str, partitions_start: dt.date) -> str:
    return f"CAST({typed} AS DATE) < DATE '{partitions_start.isoformat()}'"


def _json_clean(index: int, f: Field, cell: _Cell, partitions_start: dt.date | None) -> str | None:
    """True only when JSON field `f` breaks none of its rules: a cheaper test
    than the rule chain, which then runs only for the few lines that fail it.
    None when the kind has no such shortcut."""
    t, s = f"t_{index}", f"s_{index}"
    # JSON integers have no leading zeros, so at most 12 digits is below MAX_COUNT
    # (a longer one, even 10^12 itself, takes the full rule chain).
    short = f"length({s}) < {len(str(MAX_COUNT))}"
    if f.kind == "string":
        present_ok = f"({t} = 'VARCHAR' AND {s} <> '')"
    elif f.kind == "enum":
        allowed = ", ".join(_quote(a) for a in f.allowed)
        present_ok = f"({t} = 'VARCHAR' AND lower(trim({s})) IN ({allowed}))"
    elif f.kind == "count":
        # json_type says UBIGINT only for integers that are not negative.
        present_ok = f"({t} = 'UBIGINT' AND {short})"
    elif f.kind == "int":
        minimum = "" if f.minimum is None else f" AND try_cast({s} AS BIGINT) >= {f.minimum}"
        present_ok = f"({t} IN ('UBIGINT', 'BIGINT') AND {short}{minimum})"
    elif f.kind == "decimal":
        # A JSON number that is finite (1e999 is not) and not below the minimum.
        number = f"try_cast({s} AS DOUBLE)"
        minimum = "" if f.minimum is None else f" AND {number} >= {f.minimum}"
        present_ok = f"({t} IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND isfinite({number}){minimum})"
    elif f.kind == "timestamp":
        typed = cell.parsed
        in_time = (
            f" AND NOT (CAST({typed} AS DATE) > _dt + INTERVAL 1 DAY)" if f.check_delivery else ""
        )
        if partitions_start is not None:
            in_time += f" AND NOT {_before_start(typed, partitions_start)}"
        present_ok = (
            f"({t} = 'VARCHAR' AND regexp_full_match(trim({s}), {_quote(_TIMESTAMP)}) "
            f"AND {typed} IS NOT NULL{in_time})"
        )
    else:
        return None
    if f.required:
        return present_ok
    return f"(coalesce({t}, 'NULL') = 'NULL' OR ({t} = 'VARCHAR' AND {s} = '') OR {present_ok})"


def _json_source(fields: list[Field], relation: str) -> str:
    """Two parses per line in all: every field's JSON type (and the root's) in
    one call, every field's text in another."""
    paths = ", ".join(_quote(f.json_path or f"$.{f.name}") for f in fields)
    columns = "\n".join(
        f"  , _t[{i + 2}] AS t_{i}, _s[{i + 1}] AS s_{i}" for i in range(len(fields))
    )
    return f"""
WITH _parsed AS (
  SELECT line_number, raw_text, _dt, _checked IS NULL AS _undecodable,
    CASE WHEN json_valid(_checked) THEN json_type(_checked, ['$', {paths}]) END AS _t,
    CASE WHEN json_valid(_checked) THEN json_extract_string(_checked, [{paths}]) END AS _s
  FROM {relation}
), _typed AS (
  SELECT line_number, raw_text, _dt, _undecodable, coalesce(_t[1] = 'OBJECT', false) AS _is_object
{columns}
  FROM _parsed
)"""


def validation_select(
    fields: list[Field],
    *,
    source_kind: str,
    relation: str,
    partitions_start: dt.date | None = None,
) -> str:
    """A SELECT over `relation` that returns, per line: line_number, raw_text,
    reason, detail and every field already typed.

    `relation` has columns line_number, raw_text, _dt (delivery date) and, for
    JSON, _checked (the line, or NULL when it is not valid UTF-8); for CSV,
    _encoding_ok and s_0..s_n (cells as text, or NULL when the row has the
    wrong number of fields, flagged by `_field_count_ok`, or is not UTF-8).
    Timestamps before `partitions_start` are `timestamp_before_partitions`.

    The rule chain is evaluated once per line, to the index of the first broken
    rule; reason and detail are looked up from it, so the detail text is only
    built for the few rejected lines.
    """
    cell_of = _json_cell if source_kind == "json" else _csv_cell
    cells = [(f, cell_of(i, f)) for i, f in enumerate(fields)]
    # Bytes that are not UTF-8 are never decoded into something else: the line
    # is rejected, and its quarantined text shows them as \xNN escapes.
    undecodable = _quote("line is not valid UTF-8 (bytes shown as \\xNN)")
    field_rules = _rules(cells, partitions_start)
    if source_kind == "json":
        rules = [
            ("_undecodable", "invalid_encoding", undecodable),
            ("NOT _is_object", "invalid_json", _quote("not a JSON object")),
            *field_rules,
        ]
    else:
        first_detail = "'expected ' || _expected_fields || ' fields, got ' || _field_count"
        rules = [
            ("NOT _encoding_ok", "invalid_encoding", undecodable),
            ("NOT _field_count_ok", "wrong_field_count", first_detail),
            *field_rules,
        ]
    typed = ",\n  ".join(f"{_typed(c, f)} AS {f.raw_column}" for f, c in cells)

    if source_kind == "json":
        source = _json_source(fields, relation)
    else:
        source = f"WITH _typed AS (SELECT * FROM {relation})"

    # Timestamps are the costliest cast; each is parsed once and reused by the rules.
    timed = "".join(
        f", {_timestamp_of(c.text)} AS {c.parsed}" for f, c in cells if f.kind == "timestamp"
    )
    source += f", _timed AS (SELECT *{timed} FROM _typed)"

    first_broken = "\n    ".join(
        f"WHEN {condition} THEN {index}" for index, (condition, _, _) in enumerate(rules)
    )
    if source_kind == "json":
        clean = [_json_clean(i, f, c, partitions_start) for i, (f, c) in enumerate(cells)]
        if all(clean):
            consistent = [f"NOT {condition}" for condition, *_ in _consistency_rules(cells)]
            first_broken = (
                f"WHEN _is_object AND {' AND '.join(clean + consistent)} THEN NULL\n    "
                + first_broken
            )
    reasons = ", ".join(_quote(reason) for _, reason, _ in rules)
    details = "\n    ".join(
        f"WHEN {index} THEN {detail}" for index, (_, _, detail) in enumerate(rules)
    )
    return f"""{source}, _judged AS (
  SELECT *, CASE
    {first_broken}
  END AS _rule
  FROM _timed
)
SELECT line_number,
  -- Only a rejected line's text is kept (for the quarantine), without its newline.
  CASE WHEN _rule IS NOT NULL THEN {"rtrim(raw_text, chr(10))" if source_kind == "json" else "raw_text"} END AS raw_text,
  [{reasons}][_rule + 1] AS reason,
  CASE _rule
    {details}
  END AS detail,
  {typed}
FROM _judged"""
