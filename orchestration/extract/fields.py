"""Field rules of the landing contract, compiled to one DuckDB SELECT per source.

Each accepted value is checked against the exact type the contract names. DuckDB
reports the JSON type of every value (`12` is UBIGINT, `"12"` VARCHAR, `12.0`
DOUBLE), so a type change deep inside a file is caught without coercion, in a
single vectorised pass. CSV cells arrive as text and are checked by pattern.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from orchestration.settings import EVENT_LEAD_DAYS

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
_CLOCK = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
_TIMESTAMP = rf"{_CLOCK}({_OFFSET})$"
# LiteLLM stores UTC without an offset: for its timestamps the offset is optional.
_TIMESTAMP_OFFSET_OPTIONAL = rf"{_CLOCK}({_OFFSET})?$"
# The JSON container types a `json` field may hold.
JSON_CONTAINERS = ("ARRAY", "OBJECT")


@dataclass(frozen=True)
class Field:
    """One column of a source.

    kind: string | count (non-negative int, a negative is `negative_count`) |
    int (with optional `minimum`, below it `invalid_value`) | decimal | date |
    timestamp | boolean | enum (string in `allowed`, compared lower-cased) |
    json (JSON only: an array or object, `allowed` says which, kept as JSON text).
    """

    name: str
    kind: str = "string"
    required: bool = True
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    json_path: str | None = None
    # The record's event time: a timestamp (or date) after the delivery date
    # (+1 day) of its file, or before the first partition day, is rejected.
    check_delivery: bool = False
    # A timestamp without offset is UTC (LiteLLM's startTime); elsewhere the
    # offset is required.
    offset_optional: bool = False
    # SQL literal stored when the field is absent (LiteLLM's cache counts: 0).
    absent_value: str | None = None
    # False: the field is validated but fills no raw column of its own (it
    # only feeds a Derived column, or is kept inside another one).
    stored: bool = True
    column: str | None = None  # raw column name when it differs from `name`
    # Name of the field this one is a part of: when any part of a whole is
    # present, the parts (absent = 0) must add up to it, else `inconsistent_value`.
    part_of: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def raw_column(self) -> str:
        return self.column or self.name

    @property
    def timestamp_pattern(self) -> str:
        return _TIMESTAMP_OFFSET_OPTIONAL if self.offset_optional else _TIMESTAMP

    @property
    def event_time(self) -> bool:
        """Held to the partition window: every timestamp, and dates marked check_delivery."""
        return self.kind == "timestamp" or (self.kind == "date" and self.check_delivery)


@dataclass(frozen=True)
class Derived:
    """A raw column computed from a record's typed fields. `expression` is SQL
    in which `{name}` stands for the typed value of field (or derived column)
    `name`; it is evaluated only for records whose every field is valid."""

    column: str
    kind: str  # a key of SQL_TYPES
    expression: str


@dataclass(frozen=True)
class RecordRule:
    """A rule across the fields of a record, checked after every field rule:
    when `broken` holds, the record is quarantined with `reason`. `broken` and
    `detail` (an SQL text expression) are written like Derived.expression."""

    broken: str
    detail: str
    reason: str = "inconsistent_value"


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
    "json": "VARCHAR",
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
        "json": f"{jtype} IN ({', '.join(_quote(t) for t in f.allowed or JSON_CONTAINERS)})",
    }.get(f.kind, f"{jtype} = 'VARCHAR'")
    return _Cell(text=text, absent=absent, type_ok=type_ok, parsed=f"ts_{index}")


def _csv_cell(index: int, f: Field) -> _Cell:
    if f.kind == "json":
        raise ValueError(f"{f.name}: json fields exist in JSON sources only")
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


def _is_date(text: str) -> str:
    """SQL: `text` is a calendar date written YYYY-MM-DD."""
    return f"regexp_full_match(trim({text}), {_quote(_DATE)}) AND try_cast(trim({text}) AS DATE) IS NOT NULL"


def _is_timestamp(text: str, f: Field, typed: str) -> str:
    """SQL: `text` is written as timestamp field `f` requires and `typed` (its
    parsed value) exists."""
    return f"regexp_full_match(trim({text}), {_quote(f.timestamp_pattern)}) AND {typed} IS NOT NULL"


def _timestamp_of(text: str) -> str:
    return f"CAST(try_cast(trim({text}) AS TIMESTAMPTZ) AS TIMESTAMP)"


def _typed(cell: _Cell, f: Field) -> str:
    if f.absent_value is not None:
        return f"coalesce({_present_typed(cell, f)}, {f.absent_value})"
    return _present_typed(cell, f)


def _present_typed(cell: _Cell, f: Field) -> str:
    value = f"trim({cell.text})" if f.kind not in ("string", "enum", "json") else cell.text
    if f.kind == "json":
        # json_extract_string gives an array or object as its JSON text; a
        # value of another type is NULL, so Derived columns may parse it.
        return f"CASE WHEN {cell.type_ok} THEN {cell.text} END"
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


def _rule_on_present(
    cell: _Cell, condition: str, reason: str, message: str, shown: str | None = None
) -> tuple[str, str, str]:
    """A rule broken by a value that is there (an absent one is the
    missing_field rule's): its detail is `message` followed by the value as
    delivered (`shown`, when that needs more than the cell's text)."""
    return (
        f"(NOT {cell.absent} AND {condition})",
        reason,
        f"{_quote(message)} || {shown or cell.text}",
    )


def _rules(
    cells: list[tuple[Field, _Cell]], partitions_start: dt.date | None
) -> list[tuple[str, str, str]]:
    """(condition, reason, detail-expression) in priority order."""
    rules: list[tuple[str, str, str]] = []
    for f, c in cells:
        if f.required:
            rules.append((c.absent, "missing_field", _quote(f"{f.name} is missing")))
    for f, c in cells:
        expected = f.kind
        if f.kind == "json":
            expected = "a JSON " + " or ".join(a.lower() for a in f.allowed or JSON_CONTAINERS)
        rules.append(
            _rule_on_present(
                c,
                f"NOT ({c.type_ok})",
                "wrong_type",
                f"{f.name}: expected {expected}, got ",
                shown=f"coalesce({c.text}, 'null')",
            )
        )
    for f, c in cells:
        if f.kind == "count":
            rules.append(
                _rule_on_present(c, f"{c.number} < 0", "negative_count", f"{f.name} is negative: ")
            )
    for f, c in cells:
        if f.kind in ("count", "int"):
            condition = f"{c.number} > {MAX_COUNT}"
            message = f"{f.name} is above {MAX_COUNT:,}: "
        elif f.kind == "decimal":
            condition = f"NOT isfinite({c.number})"
            message = f"{f.name} is not a finite number: "
        else:
            continue
        rules.append(_rule_on_present(c, condition, "out_of_range", message))
    for f, c in cells:
        condition = None
        if f.kind == "enum":
            allowed = ", ".join(_quote(a) for a in f.allowed)
            condition = f"lower(trim({c.text})) NOT IN ({allowed})"
        elif f.kind in ("int", "decimal") and f.minimum is not None:
            condition = f"{c.number} < {f.minimum}"
        elif f.kind == "date":
            condition = f"NOT ({_is_date(c.text)})"
        if condition:
            rules.append(
                _rule_on_present(c, condition, "invalid_value", f"{f.name}: unexpected value ")
            )
    for f, c in cells:
        if f.kind == "timestamp":
            shape = "timestamp" if f.offset_optional else "timestamp with offset"
            rules.append(
                _rule_on_present(
                    c,
                    f"NOT ({_is_timestamp(c.text, f, _typed(c, f))})",
                    "invalid_timestamp",
                    f"{f.name}: not an ISO-8601 {shape}: ",
                )
            )
    for f, c in cells:
        if partitions_start is not None and f.event_time:
            rules.append(
                _rule_on_present(
                    c,
                    _before_start(_typed(c, f), partitions_start),
                    "timestamp_before_partitions",
                    f"{f.name} is before the first partition day {partitions_start}: ",
                )
            )
    for f, c in cells:
        if f.event_time and f.check_delivery:
            rules.append(
                _rule_on_present(
                    c,
                    _after_delivery(_typed(c, f)),
                    "timestamp_after_delivery",
                    f"{f.name} is more than {_LEAD_WORDS} after the delivery date: ",
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


_LEAD_WORDS = "one day" if EVENT_LEAD_DAYS == 1 else f"{EVENT_LEAD_DAYS} days"


def _after_delivery(typed: str) -> str:
    return f"(CAST({typed} AS DATE) > _dt + INTERVAL {EVENT_LEAD_DAYS} DAY)"


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
    elif f.kind in ("timestamp", "date"):
        if f.kind == "timestamp":
            typed = cell.parsed
            shape = _is_timestamp(s, f, typed)
        else:
            typed = f"try_cast(trim({s}) AS DATE)"
            shape = _is_date(s)
        in_time = f" AND NOT {_after_delivery(typed)}" if f.check_delivery and f.event_time else ""
        if partitions_start is not None and f.event_time:
            in_time += f" AND NOT {_before_start(typed, partitions_start)}"
        present_ok = f"({t} = 'VARCHAR' AND {shape}{in_time})"
    elif f.kind == "boolean":
        present_ok = f"({t} = 'BOOLEAN')"
    elif f.kind == "json":
        present_ok = f"({cell.type_ok})"
    else:
        return None
    if f.required:
        return present_ok
    return f"(coalesce({t}, 'NULL') = 'NULL' OR ({t} = 'VARCHAR' AND {s} = '') OR {present_ok})"


def _json_source(fields: list[Field], relation: str, json_text: tuple[str, ...] = ()) -> str:
    """Two parses per line in all: every field's JSON type (and the root's) in
    one call, every field's text in another.

    A `json_text` field (a top-level field that may arrive as a string holding
    JSON, as LiteLLM exports `metadata`) whose first parse says VARCHAR holding
    valid JSON is replaced in the line by that JSON, and only such lines are
    parsed again, so json paths reach inside it. Anything else is left as it
    is, for the field rules to judge."""
    paths = ", ".join(_quote(f.json_path or f"$.{f.name}") for f in fields)
    columns = "\n".join(
        f"  , _t[{i + 2}] AS t_{i}, _s[{i + 1}] AS s_{i}" for i in range(len(fields))
    )
    parsed = f"""
WITH _parsed AS (
  SELECT line_number, raw_text, _dt, _checked IS NULL AS _undecodable, _checked,
    CASE WHEN json_valid(_checked) THEN json_type(_checked, ['$', {paths}]) END AS _t,
    CASE WHEN json_valid(_checked) THEN json_extract_string(_checked, [{paths}]) END AS _s
  FROM {relation}
)"""
    source = "_parsed"
    if json_text:
        position = {f.name: i for i, f in enumerate(fields) if f.json_path in (None, f"$.{f.name}")}
        wrapped = []
        for step, name in enumerate(json_text):
            i = position[name]  # a json_text name must be a top-level field
            is_text = (
                f"CASE WHEN _t[{i + 2}] = 'VARCHAR' THEN json_valid(_s[{i + 1}]) ELSE false END"
            )
            wrapped.append(is_text)
            parsed += f""", _unwrapped_{step} AS (
  SELECT * REPLACE (CASE WHEN {is_text}
    -- a merge patch drops null members; absent and null mean the same here
    THEN CAST(json_merge_patch(_checked, json_object({_quote(name)}, json(_s[{i + 1}]))) AS VARCHAR)
    ELSE _checked END AS _checked)
  FROM {source}
)"""
            source = f"_unwrapped_{step}"
        again = " OR ".join(wrapped)
        parsed += f""", _reparsed AS (
  SELECT * REPLACE (
    CASE WHEN {again} THEN json_type(_checked, ['$', {paths}]) ELSE _t END AS _t,
    CASE WHEN {again} THEN json_extract_string(_checked, [{paths}]) ELSE _s END AS _s)
  FROM {source}
)"""
        source = "_reparsed"
    return f"""{parsed}, _typed AS (
  SELECT line_number, raw_text, _dt, _undecodable, coalesce(_t[1] = 'OBJECT', false) AS _is_object
{columns}
  FROM {source}
)"""


def _record_sql(template: str, typed: dict[str, str]) -> str:
    """`template` with every {name} replaced by that field's typed SQL."""
    return template.format(**{name: f"({sql})" for name, sql in typed.items()})


def validation_select(
    fields: list[Field],
    *,
    source_kind: str,
    relation: str,
    partitions_start: dt.date | None = None,
    derived: tuple[Derived, ...] = (),
    record_rules: tuple[RecordRule, ...] = (),
    json_text: tuple[str, ...] = (),
) -> str:
    """A SELECT over `relation` that returns, per line: line_number, raw_text,
    reason, detail, every field already typed and every `derived` column.

    `record_rules` run after every field rule; `json_text` names top-level
    JSON fields that may arrive as a string holding JSON (see _json_source).

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
    typed_of = {f.name: _typed(c, f) for f, c in cells}
    for d in derived:
        typed_of[d.column] = _record_sql(d.expression, typed_of)
    cross_rules = [
        (f"({_record_sql(r.broken, typed_of)})", r.reason, _record_sql(r.detail, typed_of))
        for r in record_rules
    ]
    field_rules = _rules(cells, partitions_start) + cross_rules
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
    typed = ",\n  ".join(
        [f"{_typed(c, f)} AS {f.raw_column}" for f, c in cells]
        + [f"CAST({typed_of[d.column]} AS {SQL_TYPES[d.kind]}) AS {d.column}" for d in derived]
    )

    if source_kind == "json":
        source = _json_source(fields, relation, json_text)
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
            consistent = [
                f"NOT {condition}" for condition, *_ in _consistency_rules(cells) + cross_rules
            ]
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
