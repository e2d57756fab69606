"""Field rules of the landing contract, compiled to one DuckDB SELECT per source.

Each accepted value is checked against the exact type the contract names. DuckDB
reports the JSON type of every value (`12` is UBIGINT, `"12"` VARCHAR, `12.0`
DOUBLE), so a type change deep inside a file is caught without coercion, in a
single vectorised pass. CSV cells arrive as text and are checked by pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Ordered by how the contract lists them: a line with several faults gets the first.
REASONS = (
    "missing_field",
    "wrong_type",
    "negative_count",
    "invalid_value",
    "invalid_timestamp",
    "timestamp_after_delivery",
)

_INT = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})$"
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


def _json_cell(index: int, f: Field) -> _Cell:
    jtype = f"t_{index}"
    text = f"s_{index}"
    absent = f"({jtype} IS NULL OR {jtype} = 'NULL' OR ({jtype} = 'VARCHAR' AND {text} = ''))"
    type_ok = {
        "count": f"{jtype} IN ('UBIGINT', 'BIGINT')",
        "int": f"{jtype} IN ('UBIGINT', 'BIGINT')",
        "decimal": f"{jtype} IN ('UBIGINT', 'BIGINT', 'DOUBLE')",
        "boolean": f"{jtype} = 'BOOLEAN'",
    }.get(f.kind, f"{jtype} = 'VARCHAR'")
    return _Cell(text=text, absent=absent, type_ok=type_ok)


def _csv_cell(index: int, f: Field) -> _Cell:
    text = f"s_{index}"
    absent = f"({text} IS NULL OR trim({text}) = '')"
    pattern = {
        "count": _INT,
        "int": _INT,
        "decimal": _DECIMAL,
    }.get(f.kind)
    if pattern:
        type_ok = f"(regexp_full_match(trim({text}), {_quote(pattern)}) AND try_cast(trim({text}) AS {SQL_TYPES[f.kind]}) IS NOT NULL)"
    elif f.kind == "boolean":
        type_ok = f"lower(trim({text})) IN ('true', 'false')"
    else:
        type_ok = "true"
    return _Cell(text=text, absent=absent, type_ok=type_ok)


def _typed(cell: _Cell, f: Field) -> str:
    value = f"trim({cell.text})" if f.kind not in ("string", "enum") else cell.text
    if f.kind == "timestamp":
        return f"CAST(try_cast({value} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if f.kind == "boolean":
        return f"(lower({value}) = 'true')"
    if f.kind == "enum":
        # Enums are matched case-insensitively, so store them in one case.
        return f"nullif(lower(trim({value})), '')"
    if f.kind == "string":
        return f"nullif({value}, '')"
    return f"try_cast({value} AS {SQL_TYPES[f.kind]})"


def _rules(cells: list[tuple[Field, _Cell]]) -> list[tuple[str, str, str]]:
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
                    f"(NOT {c.absent} AND {_typed(c, f)} < 0)",
                    "negative_count",
                    f"{_quote(f'{f.name} is negative: ')} || {c.text}",
                )
            )
    for f, c in cells:
        condition = None
        if f.kind == "enum":
            allowed = ", ".join(_quote(a) for a in f.allowed)
            condition = f"lower(trim({c.text})) NOT IN ({allowed})"
        elif f.kind in ("int", "decimal") and f.minimum is not None:
            condition = f"{_typed(c, f)} < {f.minimum}"
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
    for f, c in cells:
        if f.kind == "timestamp" and f.check_delivery:
            rules.append(
                (
                    f"(NOT {c.absent} AND CAST({_typed(c, f)} AS DATE) > _dt + INTERVAL 1 DAY)",
                    "timestamp_after_delivery",
                    f"{_quote(f'{f.name} is more than one day after the delivery date: ')} || {c.text}",
                )
            )
    return rules


def _case(rules: list[tuple[str, str, str]], pick: int) -> str:
    if not rules:
        return "NULL"
    arms = "\n    ".join(
        f"WHEN {cond} THEN {(_quote(reason) if pick == 1 else detail)}"
        for cond, reason, detail in rules
    )
    return f"CASE\n    {arms}\n  END"


def validation_select(fields: list[Field], *, source_kind: str, relation: str) -> str:
    """A SELECT over `relation` that returns, per line: line_number, raw_text,
    reason, detail and every field already typed.

    `relation` has columns line_number, raw_text, _dt (delivery date) and, for
    CSV, s_0..s_n (cells as text, or NULL when the row has the wrong number of
    fields, flagged by `_field_count_ok`).
    """
    cell_of = _json_cell if source_kind == "json" else _csv_cell
    cells = [(f, cell_of(i, f)) for i, f in enumerate(fields)]
    rules = _rules(cells)
    typed = ",\n  ".join(f"{_typed(c, f)} AS {f.raw_column}" for f, c in cells)

    if source_kind == "json":
        paths = ", ".join(_quote(f.json_path or f"$.{f.name}") for f in fields)
        extracted = "\n".join(
            f"  , json_type(_v[{i + 1}]) AS t_{i}, json_extract_string(_v[{i + 1}], '$') AS s_{i}"
            for i in range(len(fields))
        )
        source = f"""
WITH _objects AS (
  SELECT line_number, raw_text, _dt,
    CASE WHEN json_valid(raw_text) AND json_type(raw_text) = 'OBJECT' THEN json(raw_text) END AS _j
  FROM {relation}
), _cells AS (
  SELECT line_number, raw_text, _dt, _j, json_extract(_j, [{paths}]) AS _v FROM _objects
), _typed AS (
  SELECT line_number, raw_text, _dt, _j
{extracted}
  FROM _cells
)"""
        first_reason = "WHEN _j IS NULL THEN 'invalid_json'"
        first_detail = "WHEN _j IS NULL THEN 'not a JSON object'"
    else:
        source = f"WITH _typed AS (SELECT * FROM {relation})"
        first_reason = "WHEN NOT _field_count_ok THEN 'wrong_field_count'"
        first_detail = "WHEN NOT _field_count_ok THEN 'expected ' || _expected_fields || ' fields, got ' || _field_count"

    reason = _case(rules, 1).replace("CASE\n", f"CASE\n    {first_reason}\n", 1)
    detail = _case(rules, 2).replace("CASE\n", f"CASE\n    {first_detail}\n", 1)
    if not rules:
        reason, detail = f"CASE {first_reason} END", f"CASE {first_detail} END"
    return f"""{source}
SELECT line_number, raw_text,
  {reason} AS reason,
  {detail} AS detail,
  {typed}
FROM _typed"""
