"""The landing sources: their fields and the raw table each one fills."""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.extract.fields import SQL_TYPES, Derived, Field, RecordRule

COUNT = "count"
# Where a raw row was delivered: the delivery day of a partitioned source, and
# the file and its 1-based line, the columns every raw table leads with.
DELIVERY_DAY = (("dt", "DATE"),)
FILE_LINE = (("source_file", "VARCHAR"), ("line_number", "BIGINT"))


@dataclass(frozen=True)
class Source:
    name: str  # the `source` value in the quarantine, and the landing folder
    table: str  # raw table (schema raw)
    fields: tuple[Field, ...]
    file_format: str  # json | csv
    partitioned: bool
    extra_columns: tuple[tuple[str, str], ...] = ()  # leading raw columns (name, type)
    # Columns computed from the typed fields, and rules across fields
    # (fields.Derived, fields.RecordRule).
    derived: tuple[Derived, ...] = ()
    record_rules: tuple[RecordRule, ...] = ()
    # Top-level JSON fields that may arrive as a string holding JSON.
    json_text: tuple[str, ...] = ()
    # (key column, event-time column) of a request source: a partition load
    # queues the event days of every copy of the keys it adds or removes into
    # raw.usage_days_to_rebuild, for the incremental usage model.
    rebuild_days: tuple[str, str] | None = None

    @property
    def raw_columns(self) -> list[tuple[str, str]]:
        return [
            *self.extra_columns,
            *FILE_LINE,
            *((f.raw_column, SQL_TYPES[f.kind]) for f in self.fields if f.stored),
            *((d.column, SQL_TYPES[d.kind]) for d in self.derived),
        ]


def _daily(name: str, table: str, file_format: str, **definition) -> Source:
    """A source delivered in `<name>/dt=YYYY-MM-DD/` partitions: its raw rows
    lead with that delivery day."""
    return Source(
        name=name,
        table=table,
        file_format=file_format,
        partitioned=True,
        extra_columns=DELIVERY_DAY,
        **definition,
    )


def _reference(table: str, **definition) -> Source:
    """A reference CSV under `reference/`, read whole on every run."""
    return Source(name="reference", table=table, file_format="csv", partitioned=False, **definition)


USAGE = _daily(
    "usage",
    "usage_requests",
    "json",
    rebuild_days=("request_id", "requested_at"),
    fields=(
        Field("request_id"),
        Field("timestamp", "timestamp", column="requested_at", check_delivery=True),
        Field("user_email"),
        Field("client"),
        Field("agent_id", required=False),
        Field("session_id", required=False),
        Field("model"),
        Field("service_tier", "enum", required=False, allowed=("standard", "batch")),
        Field("status", "enum", allowed=("success", "error")),
        Field("input_tokens", COUNT, json_path="$.usage.input_tokens"),
        Field("output_tokens", COUNT, json_path="$.usage.output_tokens"),
        Field(
            "cache_creation_input_tokens", COUNT, json_path="$.usage.cache_creation_input_tokens"
        ),
        Field("cache_read_input_tokens", COUNT, json_path="$.usage.cache_read_input_tokens"),
        Field("latency_ms", "int", required=False, minimum=0),
        # Anthropic's optional split of cache writes into 5-minute and 1-hour writes
        Field(
            "ephemeral_5m_input_tokens",
            COUNT,
            required=False,
            json_path="$.usage.cache_creation.ephemeral_5m_input_tokens",
            part_of="cache_creation_input_tokens",
        ),
        Field(
            "ephemeral_1h_input_tokens",
            COUNT,
            required=False,
            json_path="$.usage.cache_creation.ephemeral_1h_input_tokens",
            part_of="cache_creation_input_tokens",
        ),
    ),
)

DEPLOYS = _daily(
    "deploys",
    "deploy_records",
    "csv",
    fields=(
        Field("deployment_id"),
        Field("change_id"),
        Field("commit_sha", required=False),
        Field("service"),
        Field("environment", "enum", allowed=("production", "staging", "development")),
        Field("region", required=False),
        Field("attempt", "int", minimum=1),
        Field("author_email", required=False),
        Field("started_at", "timestamp", check_delivery=True),
        Field("finished_at", "timestamp", required=False, check_delivery=True),
        Field("status", "enum", allowed=("succeeded", "failed", "cancelled", "in_progress")),
        Field("rollback_of", required=False),
        Field("lines_added", COUNT),
        Field("lines_deleted", COUNT),
        Field("ai_assisted", "boolean"),
    ),
)

ROSTER = Source(
    name="roster",
    table="roster_snapshots",
    file_format="csv",
    partitioned=False,
    extra_columns=(("snapshot_date", "DATE"),),
    fields=(
        Field("employee_id"),
        Field("work_email"),
        Field("full_name", required=False),
        Field(
            "job_family",
            "enum",
            allowed=(
                "software_engineer",
                "engineering_manager",
                "product_manager",
                "data_scientist",
                "designer",
                "other",
            ),
        ),
        Field("job_level", required=False),
        Field("team_id"),
        Field("team_name", required=False),
        Field("org_name", required=False),
        Field("manager_id", required=False),
        Field("location", required=False),
        Field("employment_status", "enum", allowed=("active", "leave", "terminated")),
        Field("hire_date", "date", required=False),
        Field("termination_date", "date", required=False),
        Field("annual_salary_usd", "decimal", required=False, minimum=0),
    ),
)

PRICE_BOOK = _reference(
    "price_book",
    fields=(
        Field("model"),
        Field(
            "token_type",
            "enum",
            allowed=("input", "output", "cache_write", "cache_write_1h", "cache_read"),
        ),
        Field("usd_per_mtok", "decimal", minimum=0),
        Field("effective_from", "date"),
        Field("effective_to", "date", required=False),
    ),
)

CONTRACTS = _reference(
    "contracts",
    fields=(
        Field("contract_id"),
        Field("pricing_model", "enum", allowed=("flat_rate", "per_token")),
        Field("seat_usd_per_month", "decimal", required=False, minimum=0),
        Field("effective_from", "date"),
        Field("effective_to", "date", required=False),
    ),
)

# Usage and activity as the real tools write them (../shared/spec/sources.md).
# Their raw tables are the contract of store.SOURCE_TABLES (which creates
# them); these definitions say how each column is read and judged.

# LiteLLM proxy: rows of its LiteLLM_SpendLogs table (schema.prisma), one JSON
# object per line. `metadata` is a Json column that exports may write as an
# object or as a string holding one.
_USAGE_OBJECT = "$.metadata.usage_object"
LITELLM = _daily(
    "litellm",
    "litellm_spend_logs",
    "json",
    json_text=("metadata", "request_tags"),
    rebuild_days=("request_id", "start_time"),
    fields=(
        Field("request_id"),
        Field(
            "startTime",
            "timestamp",
            column="start_time",
            check_delivery=True,
            offset_optional=True,  # LiteLLM stores UTC without an offset
        ),
        Field("user", required=False, column="litellm_user"),
        Field("api_key", required=False),  # the hashed key; "" when none
        Field("request_tags", "json", required=False, allowed=("ARRAY",)),
        Field("model"),
        Field("session_id", required=False),
        Field("agent_id", required=False),
        Field("status", required=False),  # success | failure, as delivered
        # OpenAI-style counts: prompt_tokens includes the cached tokens.
        Field("prompt_tokens", COUNT),
        Field("completion_tokens", COUNT),
        Field(
            "cache_read_input_tokens",
            COUNT,
            required=False,
            json_path=f"{_USAGE_OBJECT}.cache_read_input_tokens",
            absent_value="0",
        ),
        Field(
            "cache_creation_input_tokens",
            COUNT,
            required=False,
            json_path=f"{_USAGE_OBJECT}.cache_creation_input_tokens",
            absent_value="0",
        ),
        Field("spend", "decimal", required=False, minimum=0),
        # Judged (an object, or a string holding one), kept in no column.
        Field("metadata", "json", required=False, allowed=("OBJECT",), stored=False),
    ),
    # Anthropic semantics, as every other source: input excludes cached tokens.
    derived=(
        Derived(
            "input_tokens",
            COUNT,
            "{prompt_tokens} - {cache_read_input_tokens} - {cache_creation_input_tokens}",
        ),
    ),
    record_rules=(
        RecordRule(
            "{input_tokens} < 0",
            "'prompt_tokens ' || {prompt_tokens} || ' is less than cache_read_input_tokens + "
            "cache_creation_input_tokens ' || ({cache_read_input_tokens} + "
            "{cache_creation_input_tokens})",
        ),
    ),
)

# GitHub Copilot usage metrics, user-level daily report (users-1-day): NDJSON,
# one user-day per line. The breakdowns are kept together as one JSON object.
_BREAKDOWNS = (
    ("totals_by_ide", "ARRAY"),
    ("totals_by_feature", "ARRAY"),
    ("totals_by_language_feature", "ARRAY"),
    ("totals_by_language_model", "ARRAY"),
    ("totals_by_model_feature", "ARRAY"),
    ("totals_by_cli", "OBJECT"),
)
COPILOT = _daily(
    "copilot",
    "copilot_user_days",
    "json",
    fields=(
        Field("user_login"),  # first: the record key of a quarantined line
        Field("day", "date", check_delivery=True),
        Field("user_initiated_interaction_count", COUNT),
        Field("code_generation_activity_count", COUNT),
        Field("code_acceptance_activity_count", COUNT),
        Field("loc_added_sum", COUNT),
        Field("used_agent", "boolean", required=False),
        Field("used_chat", "boolean", required=False),
        *(
            Field(name, "json", required=False, allowed=(container,), stored=False)
            for name, container in _BREAKDOWNS
        ),
    ),
    derived=(
        Derived(
            "breakdowns",
            "json",
            # json_merge_patch drops the members that are null (absent breakdowns).
            "CAST(json_merge_patch('{{}}', json_object("
            + ", ".join(f"'{name}', json({{{name}}})" for name, _ in _BREAKDOWNS)
            + ")) AS VARCHAR)",
        ),
    ),
)

# Identity map: how the tools' own identities map to employees.
IDENTITY_TYPES = ("email", "github_login", "claude_account", "litellm_user", "litellm_api_key")
IDENTITIES = _reference(
    "identities",
    fields=(
        Field("employee_id"),
        Field(
            "identity_type",
            "enum",
            allowed=IDENTITY_TYPES,
        ),
        Field("identity_value"),
        Field("effective_from", "date"),
        Field("effective_to", "date", required=False),  # exclusive; empty = open
    ),
    record_rules=(
        RecordRule(
            "{effective_to} <= {effective_from}",
            "'effective_to ' || {effective_to} || ' is not after effective_from ' "
            "|| {effective_from}",
        ),
    ),
)

ALL_SOURCES = (USAGE, DEPLOYS, ROSTER, PRICE_BOOK, CONTRACTS)

# Claude Code's OpenTelemetry log records (orchestration.extract.otel), read
# from otel/dt=YYYY-MM-DD/. Each record is flattened to one JSON object whose
# members are these attributes (OTel name -> flat name, kind of value), plus
# `event_name`, `timestamp` and `identity`; the fields below judge that object
# with the gateway's rules. Not in ALL_SOURCES: its table is created from
# store.CLAUDE_CODE_COLUMNS, which also holds record_index and request_id.
OTEL_ATTRIBUTES = {
    "event.name": ("event_name", "string"),
    "event.timestamp": ("event_timestamp", "string"),
    "user.email": ("user_email", "string"),
    "user.account_uuid": ("account_uuid", "string"),
    "session.id": ("session_id", "string"),
    "model": ("model", "string"),
    "input_tokens": ("input_tokens", COUNT),
    "output_tokens": ("output_tokens", COUNT),
    "cache_read_tokens": ("cache_read_tokens", COUNT),
    "cache_creation_tokens": ("cache_creation_tokens", COUNT),
    "cost_usd": ("cost_usd", "decimal"),
    "error": ("error", "string"),
}


def _otel_field(name: str, kind: str = "string", **options) -> Field:
    flat = OTEL_ATTRIBUTES[name][0] if name in OTEL_ATTRIBUTES else options.pop("flat")
    return Field(name, kind, json_path=f"$.{flat}", column=options.pop("column", flat), **options)


OTEL = _daily(
    "otel",
    "claude_code_api_requests",
    "otlp",
    rebuild_days=("request_id", "requested_at"),
    fields=(
        _otel_field("event.name"),
        # event.timestamp, else the record's timeUnixNano
        _otel_field(
            "timestamp", "timestamp", flat="timestamp", column="requested_at", check_delivery=True
        ),
        _otel_field("user.email", required=False),
        _otel_field("user.account_uuid", required=False),
        # user.email, else user.account_uuid: one of them identifies the user
        _otel_field("user.email or user.account_uuid", flat="identity"),
        _otel_field("session.id", required=False),
        _otel_field("model"),
        _otel_field("input_tokens", COUNT),
        _otel_field("output_tokens", COUNT),
        _otel_field("cache_read_tokens", COUNT),
        _otel_field("cache_creation_tokens", COUNT),
        _otel_field("cost_usd", "decimal", required=False, minimum=0),
        _otel_field("error", required=False),
    ),
)

# Created by store.SOURCE_TABLES, loaded like the others.
REAL_SOURCES = (LITELLM, COPILOT, IDENTITIES)
# The sources loaded per delivery partition (landing.PARTITIONED_SOURCES's folders).
PARTITIONED = tuple(s for s in (*ALL_SOURCES, OTEL, *REAL_SOURCES) if s.partitioned)
