"""Claude Code's OpenTelemetry log events, as the Collector's `file` exporter writes them.

Follows Claude Code's monitoring documentation (code.claude.com/docs/en/monitoring-usage:
standard attributes, the `api_request`, `api_error`, `user_prompt` and `tool_result`
events, logger scope `com.anthropic.claude_code.events`) and the OTLP/JSON
encoding of opentelemetry-proto (`ExportLogsServiceRequest`, attributes as
`{"key", "value": AnyValue}`, 64-bit integers and `timeUnixNano` as decimal
strings). One line = one export request.

What a gateway record cannot keep here: the batch tier (Claude Code events carry
none: everything is standard), the 5-minute / 1-hour split of cache writes (one
`cache_creation_tokens` count, priced as 5-minute writes), the client (always
Claude Code), the agent id, the request id (the warehouse derives `cc-…` from
the event), and the tokens of a failed request (`api_error` has none).
"""

from __future__ import annotations

import datetime as dt

from sample_data import organisation as cfg
from sample_data.tool_plan import stable_uuid

SCOPE_NAME = "com.anthropic.claude_code.events"
SERVICE_NAME = "claude-code"
CURRENT_VERSION = "2.0.31"
STRING_COUNT_VERSION = "1.0.98"  # releases that sent token counts as strings
ERROR_MESSAGE = "Request failed with status code 529 (overloaded_error)"
ERROR_STATUS = 529
COUNT_KEYS = (  # Claude Code attribute <- gateway usage key
    ("input_tokens", "input_tokens"),
    ("output_tokens", "output_tokens"),
    ("cache_read_tokens", "cache_read_input_tokens"),
    ("cache_creation_tokens", "cache_creation_input_tokens"),
)


def any_value(value) -> dict:
    """An OTLP/JSON AnyValue; ints are int64 and so travel as decimal strings."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def attribute(key: str, value) -> dict:
    return {"key": key, "value": any_value(value)}


def utc_moment(timestamp: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return moment.astimezone(dt.UTC)


def iso_z(moment: dt.datetime) -> str:
    """JavaScript's Date.toISOString(), which Claude Code uses for event.timestamp."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def unix_nano(moment: dt.datetime) -> str:
    return str(round(moment.timestamp() * 1000) * 1_000_000)


def estimated_cost_usd(model: str, usage: dict) -> float:
    """Claude Code's own estimate at list prices, every cache write as a 5-minute one."""
    prices = cfg.PRICES.get(model, (0.0, 0.0, None, None))
    counts = (
        usage["input_tokens"],
        usage["output_tokens"],
        usage["cache_creation_input_tokens"],
        usage["cache_read_input_tokens"],
    )
    return round(sum(n * (p or 0.0) for n, p in zip(counts, prices, strict=True)) / 1e6, 8)


def session_of(record: dict) -> str:
    """Claude Code always has a session; a gateway record without one gets its own."""
    return record.get("session_id") or stable_uuid("claude-code-session", record["request_id"])


def _event_attributes(
    record: dict,
    name: str,
    moment: dt.datetime,
    *,
    include_email: bool = True,
    account_uuid: str | None = None,
    user_id: str | None = None,
    organization_id: str | None = None,
    terminal: str | None = "vscode",
) -> list[dict]:
    """The attributes every Claude Code event starts with: who (the standard
    attributes, in Claude Code's order), then which event and when.

    `include_email=False` leaves `user.email` out, so only `account_uuid` names
    the user; `user_id` (the installation) defaults to one per email."""
    user_email = record["user_email"] if include_email else None
    attrs = [attribute("user.id", user_id or stable_uuid("claude-code-install", user_email))]
    attrs.append(attribute("session.id", session_of(record)))
    if organization_id:
        attrs.append(attribute("organization.id", organization_id))
    if user_email:
        attrs.append(attribute("user.email", user_email))
    if account_uuid:
        attrs.append(attribute("user.account_uuid", account_uuid))
    if terminal:
        attrs.append(attribute("terminal.type", terminal))
    attrs.append(attribute("event.name", name))
    attrs.append(attribute("event.timestamp", iso_z(moment)))
    return attrs


def _log_record(name: str, moment: dt.datetime, attrs: list[dict]) -> dict:
    """An OTLP/JSON LogRecord of event `name`, observed when it happened."""
    stamp = unix_nano(moment)
    return {
        "timeUnixNano": stamp,
        "observedTimeUnixNano": stamp,
        "body": {"stringValue": f"claude_code.{name}"},
        "attributes": attrs,
    }


def gateway_record_to_otel_log_record(
    record: dict, *, string_counts: bool = False, sequence: int | None = None, **who
) -> dict:
    """The Claude Code log record (an OTLP/JSON `LogRecord`) for one canonical
    gateway usage record (a dict as read from a gateway JSON line).

    `status = success` becomes an `api_request` event with the four token counts
    (`intValue`, or `stringValue` digits with `string_counts`); `error` becomes an
    `api_error` event without tokens. Timestamps become UTC. `who` are the
    keywords of `_event_attributes` (include_email, account_uuid, user_id,
    organization_id, terminal).
    """
    moment = utc_moment(record["timestamp"])
    success = record["status"] == "success"
    name = "api_request" if success else "api_error"
    attrs = _event_attributes(record, name, moment, **who)
    if sequence is not None:
        attrs.append(attribute("event.sequence", sequence))
    attrs.append(attribute("model", record["model"]))
    duration = record.get("latency_ms")
    if success:
        usage = record["usage"]
        attrs.append(attribute("cost_usd", estimated_cost_usd(record["model"], usage)))
        if duration is not None:
            attrs.append(attribute("duration_ms", int(duration)))
        for otel_key, usage_key in COUNT_KEYS:
            count = int(usage[usage_key])
            attrs.append(attribute(otel_key, str(count) if string_counts else count))
    else:
        attrs.append(attribute("error", ERROR_MESSAGE))
        attrs.append(attribute("status_code", ERROR_STATUS))
        if duration is not None:
            attrs.append(attribute("duration_ms", int(duration)))
        attrs.append(attribute("attempt", 1))
    return _log_record(name, moment, attrs)


def non_usage_log_record(record: dict, event: str, moment: dt.datetime, **who) -> dict:
    """A `user_prompt` or `tool_result` event of the same session: not usage, the
    warehouse reads and skips it. `who` as for gateway_record_to_otel_log_record."""
    attrs = _event_attributes(record, event, moment, **who)
    if event == "user_prompt":
        attrs.append(attribute("prompt_length", 40 + int(moment.microsecond // 1000) % 400))
        attrs.append(attribute("prompt", "<REDACTED>"))
    else:
        attrs.append(attribute("tool_name", ("Read", "Edit", "Bash", "Grep")[moment.second % 4]))
        attrs.append(attribute("success", "true"))
        attrs.append(attribute("duration_ms", 20 + moment.microsecond // 1000))
    return _log_record(event, moment, attrs)


def export_logs_request(
    log_records: list[dict], *, version: str = CURRENT_VERSION, os_type: str = "darwin"
) -> dict:
    """One `ExportLogsServiceRequest` (one line of the file exporter's output):
    the records of one Claude Code process under its resource and logger scope."""
    resource = [
        attribute("service.name", SERVICE_NAME),
        attribute("service.version", version),
        attribute("os.type", os_type),
        attribute("host.arch", "arm64" if os_type == "darwin" else "amd64"),
    ]
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": resource},
                "scopeLogs": [
                    {"scope": {"name": SCOPE_NAME, "version": version}, "logRecords": log_records}
                ],
            }
        ]
    }
