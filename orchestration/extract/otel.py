"""Claude Code telemetry: OTLP/JSON log records into raw.claude_code_api_requests.

`<landing>/otel/dt=YYYY-MM-DD/*.jsonl[.gz]` is what the OpenTelemetry
Collector's file exporter writes: one `ExportLogsServiceRequest` per line,
`resourceLogs[].scopeLogs[].logRecords[]`, each attribute a
`{"key": ..., "value": {"stringValue" | "intValue" | ...: ...}}` AnyValue
(../shared/spec/sources.md, Claude Code telemetry).

The unit of accounting is the log record. Per batch of lines, in DuckDB:

1. lines are parsed and their envelope (the arrays and objects above the log
   records) checked; a line that is not valid OTLP/JSON is quarantined whole
   and counts as one unit (its detail says how many records it held, when
   they could be counted);
2. the log records of the other lines are unnested, and each is flattened to
   one flat JSON object of the attributes the warehouse reads (record first,
   then resource; AnyValues turned into plain JSON values by the rules of
   `_value_sql`);
3. records whose event name is not a usage event (`user_prompt`,
   `tool_result`, ...) are skipped: counted, not loaded;
4. the usage records are judged by the same validation SELECT as the gateway
   log (fields.validation_select), so the reasons and their order are those
   of the landing contract.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow as pa

from orchestration.extract.fields import validation_select
from orchestration.extract.sources import OTEL, OTEL_ATTRIBUTES
from orchestration.extract.store import CLAUDE_CODE_TABLE
from orchestration.settings import partitions_start

# Events that are usage; every other named event is skipped (sources.md).
USAGE_EVENTS = ("api_request", "api_error")
# The record body may carry the event name with this prefix.
BODY_EVENT_PREFIX = "claude_code."
# Token counts of an api_error record: none are billable, absent = 0.
ERROR_EVENT = "api_error"

# Proto3 JSON numbers (OTLP/JSON also encodes doubles that way); anything else
# in a number's place is a wrong type.
_JSON_NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
_DIGITS = r"-?[0-9]+"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _absent(v: str) -> str:
    """An attribute value that says nothing: missing, JSON null, an empty
    AnyValue (proto3: unset) or an empty string."""
    return (
        f"({v} IS NULL OR json_type({v}) = 'NULL' OR {v} = '{{}}' "
        f"OR coalesce(json_extract_string({v}, '$.stringValue') = '', false))"
    )


def _lookup(key: str) -> str:
    """The AnyValue of attribute `key`: the record's, else its resource's."""
    record = f"_rv[list_position(_rk, {_q(key)})]"
    resource = f"_pv[list_position(_pk, {_q(key)})]"
    return f"CASE WHEN NOT {_absent(record)} THEN {record} WHEN NOT {_absent(resource)} THEN {resource} END"


def _value_sql(v: str, kind: str) -> str:
    """AnyValue JSON `v` as the plain JSON value the validator judges.

    string: a stringValue is the string; any other AnyValue is kept as the
      object it is, which the validator rejects as `wrong_type`.
    count: an intValue (a JSON integer, or a string of digits as OTLP/JSON
      writes 64-bit integers) or a stringValue of digits becomes a JSON
      integer; a negative one stays negative (`negative_count`), a huge one
      stays huge (`out_of_range`). Anything else (a doubleValue, `"1.5"`,
      `"n/a"`) is kept as the AnyValue object: `wrong_type`.
    decimal: a doubleValue or intValue, as a JSON number or a string holding
      one (proto3 JSON accepts both), or a stringValue holding a number.
    """

    def member(name: str) -> tuple[str, str]:
        return f"json_type({v}, '$.{name}')", f"json_extract_string({v}, '$.{name}')"

    iv_t, iv_s = member("intValue")
    sv_t, sv_s = member("stringValue")
    dv_t, dv_s = member("doubleValue")

    def digits(t: str, s: str) -> str:
        return f"({t} = 'VARCHAR' AND regexp_full_match({s}, {_q(_DIGITS)}))"

    def as_integer(s: str) -> str:
        # JSON has no leading zeros: "007" is the integer 7.
        return f"CAST(regexp_replace({s}, '^(-?)0+([0-9])', '\\1\\2') AS JSON)"

    if kind == "string":
        return f"CASE WHEN {sv_t} = 'VARCHAR' THEN json_extract({v}, '$.stringValue') ELSE {v} END"
    if kind == "count":
        return (
            f"CASE WHEN {iv_t} IN ('UBIGINT', 'BIGINT') "
            f"OR ({iv_t} = 'DOUBLE' AND regexp_full_match({iv_s}, {_q(_DIGITS)})) "
            f"THEN json_extract({v}, '$.intValue') "
            f"WHEN {digits(iv_t, iv_s)} THEN {as_integer(iv_s)} "
            f"WHEN {digits(sv_t, sv_s)} THEN {as_integer(sv_s)} "
            f"ELSE {v} END"
        )
    if kind == "decimal":
        numeric = "('UBIGINT', 'BIGINT', 'DOUBLE')"

        def text_number(t: str, s: str) -> str:
            return f"({t} = 'VARCHAR' AND regexp_full_match({s}, {_q(_JSON_NUMBER)}))"

        return (
            f"CASE WHEN {dv_t} IN {numeric} THEN json_extract({v}, '$.doubleValue') "
            f"WHEN {iv_t} IN {numeric} THEN json_extract({v}, '$.intValue') "
            f"WHEN {text_number(dv_t, dv_s)} THEN CAST({dv_s} AS JSON) "
            f"WHEN {digits(iv_t, iv_s)} THEN {as_integer(iv_s)} "
            f"WHEN {text_number(sv_t, sv_s)} THEN CAST({sv_s} AS JSON) "
            f"ELSE {v} END"
        )
    raise ValueError(kind)


# What a sound line holds, parsed once: the members the warehouse reads, each
# attribute value kept as the JSON text of its AnyValue. json_transform is
# lenient (a mistyped member becomes NULL), so the envelope is checked first by
# _LINE_FAULTS and a record's own shape by OtelWriter.
_LINE_STRUCTURE = json.dumps(
    {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "VARCHAR", "value": "JSON"}]},
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": "JSON",
                                "body": "JSON",
                                "attributes": [{"key": "VARCHAR", "value": "JSON"}],
                            }
                        ]
                    }
                ],
            }
        ]
    }
)
_RECORDS = "$.resourceLogs[*].scopeLogs[*].logRecords[*]"
# The envelope above the log records: (JSON path, JSON types allowed), checked
# in this order; NULL stands for an absent member. A `[*]` path must hold only
# those types in every element it reaches.
_LINE_FAULTS = (
    ("$.resourceLogs", ("ARRAY", "NULL")),
    ("$.resourceLogs[*]", ("OBJECT",)),
    ("$.resourceLogs[*].resource", ("OBJECT", "NULL")),
    ("$.resourceLogs[*].resource.attributes", ("ARRAY", "NULL")),
    ("$.resourceLogs[*].scopeLogs", ("ARRAY", "NULL")),
    ("$.resourceLogs[*].scopeLogs[*]", ("OBJECT",)),
    ("$.resourceLogs[*].scopeLogs[*].logRecords", ("ARRAY", "NULL")),
)


# A line's JSON structure (json_structure: one element stands for all the
# elements of an array, mixed types become "JSON") shows, in one parse, that
# every container down to the records' attributes has its OTLP type: (path in
# the structure, types allowed; NULL for absent). A line that passes is sound;
# one that does not (rare) is judged member by member by _LINE_FAULTS, which
# also tells an empty object from a mistyped one.
_SOUND_STRUCTURE = (
    ("$", ("OBJECT",)),
    ("$.resourceLogs", ("ARRAY", None)),
    ("$.resourceLogs[0]", ("OBJECT",)),
    ("$.resourceLogs[0].resource", ("OBJECT", None)),
    ("$.resourceLogs[0].resource.attributes", ("ARRAY", None)),
    ("$.resourceLogs[0].scopeLogs", ("ARRAY", None)),
    ("$.resourceLogs[0].scopeLogs[0]", ("OBJECT",)),
    ("$.resourceLogs[0].scopeLogs[0].logRecords", ("ARRAY", None)),
    ("$.resourceLogs[0].scopeLogs[0].logRecords[0]", ("OBJECT",)),
    ("$.resourceLogs[0].scopeLogs[0].logRecords[0].attributes", ("ARRAY", None)),
)


def _lines_sql(enc_ok: str) -> str:
    """_otel_lines: per line its parsed JSON, whether its structure is plainly
    sound, and for a line that is not valid OTLP/JSON the reason and detail it
    is quarantined with, whole."""
    paths = ", ".join(_q(path) for path, _ in _SOUND_STRUCTURE)
    sound = " AND ".join(
        f"coalesce(_shape[{i + 1}], 'ABSENT') IN ({', '.join(_q(k or 'ABSENT') for k in allowed)})"
        for i, (_, allowed) in enumerate(_SOUND_STRUCTURE)
    )
    checks = []
    for path, allowed in _LINE_FAULTS:
        kinds = ", ".join(_q(k) for k in allowed)
        shown = path.removeprefix("$.")
        expected = "an array" if "ARRAY" in allowed else "an object"
        if "[*]" in path:
            ok = (
                f"coalesce(list_bool_and(list_transform(json_type(doc, {_q(path)}), "
                f"lambda t: t IN ({kinds}))), true)"
            )
        else:
            ok = f"coalesce(json_type(doc, {_q(path)}), 'NULL') IN ({kinds})"
        checks.append(f"WHEN NOT {ok} THEN {_q(f'not OTLP/JSON: {shown} is not {expected}')}")
    when = "\n      ".join(checks)
    return f"""CREATE OR REPLACE TEMP TABLE _otel_lines AS
WITH parsed AS (
  SELECT line_number, raw_text, {enc_ok} AS _enc_ok,
    CASE WHEN {enc_ok} THEN try_cast(raw_text AS JSON) END AS doc
  FROM _aiw_batch
), shaped AS (
  SELECT *, json_type(json_structure(doc), [{paths}]) AS _shape FROM parsed
), judged AS (
  SELECT line_number, raw_text, doc, _enc_ok, coalesce({sound}, false) AS _sound,
    CASE
      WHEN NOT _enc_ok THEN 'line is not valid UTF-8 (bytes shown as \\xNN)'
      WHEN doc IS NULL THEN 'not valid JSON'
      WHEN coalesce({sound}, false) THEN NULL
      WHEN json_type(doc) <> 'OBJECT' THEN 'not a JSON object'
      {when}
    END AS _fault
  FROM shaped
), counted AS (
  -- the records' types, only where the structure did not show them all objects
  SELECT *, CASE WHEN NOT _sound AND doc IS NOT NULL
    THEN json_type(doc, {_q(_RECORDS)}) END AS _record_types
  FROM judged
)
SELECT line_number, raw_text, doc, _sound,
  CASE WHEN NOT _enc_ok THEN 'invalid_encoding' WHEN _fault IS NOT NULL THEN 'invalid_json' END
    AS reason,
  _fault || CASE WHEN len(_record_types) > 0
    THEN ' (the line held ' || len(_record_types) || ' log records)' ELSE '' END AS detail,
  -- kept only when some record is not an object (the record's own fault)
  CASE WHEN NOT list_bool_and(list_transform(_record_types, lambda t: t = 'OBJECT'))
    THEN _record_types END AS _record_types
FROM counted"""


# The log records of the sound lines, unnested from the parsed structure in
# one list per line (its position in the list is the record's index).
_RECORDS_SQL = f"""CREATE OR REPLACE TEMP TABLE _otel_records AS
WITH parsed AS (
  SELECT line_number, _record_types, json_transform(doc, {_q(_LINE_STRUCTURE)}) AS _p
  FROM _otel_lines WHERE reason IS NULL
), listed AS (
  SELECT line_number, _record_types,
    flatten(flatten(list_transform(_p.resourceLogs, lambda rl, i:
      list_transform(rl.scopeLogs, lambda sl, j:
        list_transform(sl.logRecords, lambda lr, k: {{
          'res': rl.resource.attributes, 'lr': lr,
          'path': '$.resourceLogs[' || (i - 1) || '].scopeLogs[' || (j - 1)
            || '].logRecords[' || (k - 1) || ']'}}))))) AS _all
  FROM parsed
), unnested AS (
  SELECT line_number, _record_types, unnest(_all) AS _r,
    CAST(unnest(range(len(_all))) AS BIGINT) AS record_index
  FROM listed
)
SELECT line_number, record_index, _r.res AS _res, _r.lr AS lr, _r.path AS _path,
  coalesce(_record_types[record_index + 1], 'OBJECT') AS _record_type
FROM unnested"""


def _flatten_sql(partition: dt.date | None) -> list[str]:
    """Two statements: _otel_events, one row per log record of a sound line
    with its event name and category (usage | skipped); _otel_flat, one row per
    usage record with its position, the flat JSON object the validator reads
    (`_checked`), the timestamp as delivered (for request_id) and a shape
    fault, if any."""
    delivery = "NULL" if partition is None else f"DATE '{partition.isoformat()}'"
    values = {key: _value_sql(f"_a_{flat}", kind) for key, (flat, kind) in OTEL_ATTRIBUTES.items()}
    body = "json_extract_string(lr.body, '$.stringValue')"
    event_from_body = (
        f"CASE WHEN json_type(lr.body, '$.stringValue') = 'VARCHAR' AND {body} <> '' "
        f"THEN to_json(CASE WHEN starts_with({body}, {_q(BODY_EVENT_PREFIX)}) "
        f"THEN substr({body}, {len(BODY_EVENT_PREFIX) + 1}) ELSE {body} END) END"
    )
    event = f"coalesce({values['event.name']}, {event_from_body})"
    nanos = "json_extract_string(lr.timeUnixNano, '$')"
    nanos_ok = (
        "(json_type(lr.timeUnixNano) IN ('VARCHAR', 'UBIGINT') "
        f"AND regexp_full_match({nanos}, '[0-9]+') AND try_cast({nanos} AS BIGINT) > 0)"
    )
    from_nanos = (
        f"to_json(strftime(make_timestamp(CAST({nanos} AS BIGINT) // 1000), "
        "'%Y-%m-%dT%H:%M:%S.%f') || 'Z')"
    )
    # timeUnixNano 0 means "unknown" in OTLP: absent, like a missing one.
    nanos_given = f"coalesce(json_type(lr.timeUnixNano), 'NULL') <> 'NULL' AND {nanos} <> '0'"
    timestamp = (
        f"CASE WHEN _a_event_timestamp IS NOT NULL THEN {values['event.timestamp']} "
        f"WHEN {nanos_ok} THEN {from_nanos} "
        f"WHEN {nanos_given} THEN lr.timeUnixNano END"
    )
    timestamp_text = (
        "CASE WHEN _a_event_timestamp IS NOT NULL "
        "THEN json_extract_string(_a_event_timestamp, '$.stringValue') "
        f"ELSE {nanos} END"
    )
    identity = (
        f"CASE WHEN _a_user_email IS NOT NULL THEN {values['user.email']} "
        f"ELSE {values['user.account_uuid']} END"
    )
    counts = {}
    for key, (flat, kind) in OTEL_ATTRIBUTES.items():
        if kind == "count":
            counts[flat] = (
                f"CASE WHEN _a_{flat} IS NULL AND _event_text = {_q(ERROR_EVENT)} "
                f"THEN CAST('0' AS JSON) ELSE {values[key]} END"
            )
    flat_members = [
        ("event_name", "_event"),
        ("timestamp", "_timestamp"),
        ("identity", identity),
        *(
            (flat, counts.get(flat, values[key]))
            for key, (flat, _) in OTEL_ATTRIBUTES.items()
            if key not in ("event.name", "event.timestamp")
        ),
    ]
    flat_object = "json_object(" + ", ".join(f"{_q(k)}, {e}" for k, e in flat_members) + ")"
    # A count the record does not carry (an api_error's) is empty in the request_id.
    count_absent = "".join(f"_a_{flat} IS NULL AS _absent_{flat}, " for flat in counts)
    usage = ", ".join(_q(e) for e in USAGE_EVENTS)
    other_lookups = ",\n    ".join(
        f"{_lookup(key)} AS _a_{flat}"
        for key, (flat, _) in OTEL_ATTRIBUTES.items()
        if key != "event.name"
    )
    # The event name first: the other attributes are looked up for usage records only.
    events = f"""CREATE OR REPLACE TEMP TABLE _otel_events AS
WITH attrs AS (
  SELECT line_number, record_index, _path, _record_type, lr,
    list_transform(lr.attributes, lambda a: a.key) AS _rk,
    list_transform(lr.attributes, lambda a: a.value) AS _rv,
    list_transform(_res, lambda a: a.key) AS _pk,
    list_transform(_res, lambda a: a.value) AS _pv
  FROM _otel_records
), named AS (
  SELECT *, {_lookup("event.name")} AS _a_event_name FROM attrs
), evented AS (
  SELECT * EXCLUDE (_a_event_name), {event} AS _event FROM named
), texted AS (
  SELECT *,
    CASE WHEN json_type(_event) = 'VARCHAR' THEN json_extract_string(_event, '$') END AS _event_text
  FROM evented
)
SELECT *,
  CASE WHEN _event_text IS NOT NULL AND _event_text NOT IN ({usage}) THEN 'skipped' ELSE 'usage' END
    AS category
FROM texted"""
    flat = f"""CREATE OR REPLACE TEMP TABLE _otel_flat AS
WITH found AS (
  SELECT *, {other_lookups}
  FROM _otel_events WHERE category = 'usage'
), typed AS (
  SELECT *, {timestamp} AS _timestamp FROM found
)
SELECT
  CAST(row_number() OVER () AS BIGINT) AS _rec,
  line_number, record_index, _path,
  CASE WHEN _record_type <> 'OBJECT' THEN 'log record is not an object' END AS shape_fault,
  -- absent or not an array: told apart below, for these few records only
  lr.attributes IS NULL AS _attributes_missing,
  {timestamp_text} AS timestamp_text,
  {count_absent}
  CAST({flat_object} AS VARCHAR) AS _checked,
  {delivery} AS _dt
FROM typed"""
    return [events, flat]


# The raw columns extraction fills, in table order after dt, source_file.
_RAW_COLUMNS = (
    "line_number",
    "record_index",
    "event_name",
    "request_id",
    "requested_at",
    "user_email",
    "account_uuid",
    "session_id",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cost_usd",
    "error",
)


def request_id_sql(session: str, timestamp_text: str, model: str, counts: list[str]) -> str:
    """`cc-` + the first 32 hex digits of SHA-256 over
    session.id|timestamp as delivered|model|input|output|cache_read|cache_creation
    (sources.md); an absent session.id, and a count the record does not carry
    (`_absent_<count>`), are the empty string."""
    parts = [
        f"coalesce({session}, '')",
        timestamp_text,
        model,
        *(f"CASE WHEN _absent_{c} THEN '' ELSE CAST({c} AS VARCHAR) END" for c in counts),
    ]
    return "'cc-' || left(sha256(" + " || '|' || ".join(parts) + "), 32)"


class OtelWriter:
    """Flattens, judges and appends batches of OTLP/JSON lines of one file."""

    source = OTEL

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.select = validation_select(
            list(OTEL.fields),
            source_kind="json",
            relation="_aiw_lines",
            partitions_start=partitions_start(),
        )

    def write(
        self, batch: pa.Table, *, relative: str, partition: dt.date | None, **_
    ) -> tuple[int, int, int, int]:
        """(records read, loaded, skipped, quarantined) of one batch of lines."""
        if not batch.num_rows:
            return 0, 0, 0, 0
        con = self.con
        con.register("_aiw_batch", batch)
        enc_ok = "_encoding_ok" if "_encoding_ok" in batch.column_names else "true"
        delivery = "NULL" if partition is None else f"DATE '{partition.isoformat()}'"
        file_sql = _q(relative)
        source_sql = _q(OTEL.name)
        try:
            con.execute(_lines_sql(enc_ok))
            con.execute(_RECORDS_SQL)
            for statement in _flatten_sql(partition):
                con.execute(statement)
            # json_transform leaves a mistyped `attributes` as NULL, like an absent one.
            con.execute(
                "UPDATE _otel_flat AS f SET shape_fault = 'attributes is not an array' "
                "FROM _otel_lines AS l WHERE f._attributes_missing AND f.shape_fault IS NULL "
                "AND NOT l._sound "
                "AND l.line_number = f.line_number "
                "AND coalesce(json_type(l.doc, f._path || '.attributes'), 'NULL') "
                "NOT IN ('ARRAY', 'NULL')"
            )
            con.execute(
                "CREATE OR REPLACE TEMP VIEW _aiw_lines AS SELECT _rec AS line_number, "
                "NULL AS raw_text, _checked, _dt FROM _otel_flat"
            )
            con.execute(f"CREATE OR REPLACE TEMP TABLE _aiw_validated AS {self.select}")
            # A record whose shape is not OTLP is rejected whatever its fields say.
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _otel_judged AS
                SELECT f.line_number, f.record_index, f._path, f.timestamp_text,
                  f._absent_input_tokens, f._absent_output_tokens,
                  f._absent_cache_read_tokens, f._absent_cache_creation_tokens,
                  v.* EXCLUDE (line_number, raw_text, reason, detail),
                  CASE WHEN f.shape_fault IS NOT NULL THEN 'invalid_json' ELSE v.reason END AS reason,
                  coalesce(f.shape_fault, v.detail) AS detail
                FROM _aiw_validated AS v JOIN _otel_flat AS f ON f._rec = v.line_number"""
            )
            request_id = request_id_sql(
                "session_id",
                "timestamp_text",
                "model",
                ["input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens"],
            )
            selected = ", ".join(request_id if c == "request_id" else c for c in _RAW_COLUMNS)
            con.execute(
                f"INSERT INTO raw.{CLAUDE_CODE_TABLE} (dt, source_file, {', '.join(_RAW_COLUMNS)}) "
                f"SELECT {delivery}, {file_sql}, {selected} FROM _otel_judged WHERE reason IS NULL"
            )
            # A rejected record keeps its own text; a rejected line, the line.
            con.execute(
                "INSERT INTO raw.quarantined_records SELECT "
                f"{source_sql}, {delivery}, {file_sql}, j.line_number, j.reason, "
                "'record ' || j.record_index || ' of line ' || j.line_number || ': ' || j.detail, "
                "CAST(json_extract(l.doc, j._path) AS VARCHAR), NULL "
                "FROM _otel_judged AS j JOIN _otel_lines AS l USING (line_number) "
                "WHERE j.reason IS NOT NULL"
            )
            con.execute(
                "INSERT INTO raw.quarantined_records SELECT "
                f"{source_sql}, {delivery}, {file_sql}, line_number, reason, detail, "
                "rtrim(raw_text, chr(10)), NULL FROM _otel_lines WHERE reason IS NOT NULL"
            )
            faults, loaded, rejected = con.execute(
                "SELECT (SELECT count(*) FROM _otel_lines WHERE reason IS NOT NULL), "
                "count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NOT NULL) "
                "FROM _otel_judged"
            ).fetchone()
            (skipped,) = con.execute(
                "SELECT count(*) FROM _otel_events WHERE category = 'skipped'"
            ).fetchone()
            read = faults + loaded + rejected + skipped
            return int(read), int(loaded), int(skipped), int(rejected + faults)
        finally:
            con.execute("DROP VIEW IF EXISTS _aiw_lines")
            for table in (
                "_otel_lines",
                "_otel_records",
                "_otel_events",
                "_otel_flat",
                "_aiw_validated",
                "_otel_judged",
            ):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            con.unregister("_aiw_batch")
