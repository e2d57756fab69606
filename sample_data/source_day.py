"""One day of the non-gateway sources: the day's requests of OTel and LiteLLM users
written in those tools' formats, and the day's Copilot report.

The per-record writer functions of `otel_logs` and `litellm_logs` define each
format (the equivalence test converts gateway lines with them). Writing a day
record by record through them is several times slower than the gateway's
writer, so the day is rendered here column by column with Polars, from the
JSON those functions produce for one attribute or envelope;
tests/unit/test_generator_sources.py checks every generated record against the
per-record functions applied to the same canonical request (`records_as_dicts`).
Files are named after their own day only, so parallel days never touch the same
file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

import numpy as np
import polars as pl

from sample_data import copilot_metrics as copilot
from sample_data import organisation as cfg
from sample_data.litellm_logs import API_BASE, PROVIDER
from sample_data.otel_logs import (
    CURRENT_VERSION,
    ERROR_MESSAGE,
    ERROR_STATUS,
    STRING_COUNT_VERSION,
    attribute,
    export_logs_request,
)
from sample_data.population import DayState, Population
from sample_data.randomness import stream
from sample_data.storage import Landing, gzip_bytes
from sample_data.tool_plan import (
    LITELLM_EMAIL,
    LITELLM_KEY,
    LITELLM_USER,
    SourcePlan,
    stable_uuid,
)
from sample_data.usage_lines import request_id_prefix
from sample_data.usage_records import NULL, SUCCESS, Records

OTEL_EVENTS, LITELLM_IDS = 1003, 1006  # random-stream purposes
PROMPT_BEFORE_SHARE = 0.35  # api requests preceded by a user_prompt event in the batch
TOOL_AFTER_SHARE = 0.5  # api requests followed by a tool_result event
RECORDS_PER_EXPORT = 8  # log records per export request (one collector batch)
EXPORT_MS = 5_000  # Claude Code exports its log batch every 5 seconds
COLLECTORS = 2  # collector-0 writes plain .jsonl, collector-1 gzipped
LITELLM_INSTANCES = 2  # litellm-1's export writes metadata as a JSON string
TERMINALS = ("vscode", "iTerm.app", "tmux")
MS_PER_DAY = 86_400_000


@dataclass
class SourceDayContext:
    seed: int
    day: int
    date: dt.date
    plan: SourcePlan
    population: Population
    landing: Landing
    email_table: object  # polars Series of addresses (see usage_day)


def _compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _stats(records: Records) -> Counter:
    success = records.status == SUCCESS
    return Counter(
        requests=len(records),
        success_requests=int(success.sum()),
        error_requests=int((~success).sum()),
        billable_tokens=int(records.tokens[success].sum()),
        unknown_email_requests=int((records.person < 0).sum()),
    )


def _partition(folder: str, date: dt.date) -> str:
    return f"{folder}/dt={date.isoformat()}"


def _template(key: str, sentinel) -> tuple[str, str]:
    """The JSON text `otel_logs.attribute` gives, split around its value, so the
    column-wise writer below encodes exactly as the per-record writer does."""
    text = _compact(attribute(key, sentinel))
    head, tail = text.split(str(sentinel))
    return head, tail


def _attr(key: str, column: pl.Expr, sentinel="@@VALUE@@") -> pl.Expr:
    head, tail = _template(key, sentinel)
    return pl.concat_str([pl.lit("," + head), column.cast(pl.String), pl.lit(tail)])


def _optional(condition: pl.Expr, piece: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(piece).otherwise(pl.lit(""))


_INT, _DOUBLE = 1234567890123, 0.123456789


def _event_json(frame: pl.DataFrame) -> pl.Series:
    """Each row's log record (api_request, api_error, user_prompt, tool_result) as the
    JSON text `otel_logs` builds, column by column."""
    c = pl.col
    usage, success = c("event").is_in(["api_request", "api_error"]), c("event") == "api_request"
    counts = []
    for otel_key, column in (("input_tokens", "t0"), ("output_tokens", "t1"),
                             ("cache_read_tokens", "t3"), ("cache_creation_tokens", "t2")):  # fmt: skip
        as_int, as_string = _attr(otel_key, c(column), _INT), _attr(otel_key, c(column))
        counts.append(pl.when(c("string_counts")).then(as_string).otherwise(as_int))
    duration = _optional(c("latency").is_not_null(), _attr("duration_ms", c("latency"), _INT))
    second, millis = (c("ms") // 1000) % 60, c("ms") % 1000
    tools = (second % 4).replace_strict(
        {0: "Read", 1: "Edit", 2: "Bash", 3: "Grep"}, return_dtype=pl.String
    )
    attributes = pl.concat_str(
        [
            _attr("user.id", c("user_id")).str.slice(1),
            _attr("session.id", c("session")),
            _optional(c("organization").is_not_null(), _attr("organization.id", c("organization"))),
            _optional(c("include_email"), _attr("user.email", c("email"))),
            _optional(c("account").is_not_null(), _attr("user.account_uuid", c("account"))),
            _attr("terminal.type", c("terminal")),
            _attr("event.name", c("event")),
            _attr("event.timestamp", c("iso")),
            _optional(usage, _attr("event.sequence", c("sequence"), _INT)),
            _optional(usage, _attr("model", c("model"))),
            pl.when(success)
            .then(pl.concat_str([_attr("cost_usd", c("cost"), _DOUBLE), duration, *counts]))
            .when(usage)
            .then(
                pl.concat_str(
                    [
                        _attr("error", pl.lit(ERROR_MESSAGE)),
                        _attr("status_code", pl.lit(ERROR_STATUS), _INT),
                        duration,
                        _attr("attempt", pl.lit(1), _INT),
                    ]
                )
            )
            .when(c("event") == "user_prompt")
            .then(
                pl.concat_str(
                    [
                        _attr("prompt_length", millis % 400 + 40, _INT),
                        _attr("prompt", pl.lit("<REDACTED>")),
                    ]
                )
            )
            .otherwise(
                pl.concat_str(
                    [
                        _attr("tool_name", tools),
                        _attr("success", pl.lit("true")),
                        _attr("duration_ms", millis + 20, _INT),
                    ]
                )
            ),
        ]
    )
    return frame.select(
        pl.concat_str(
            [
                pl.lit('{"timeUnixNano":"'),
                c("nano"),
                pl.lit('","observedTimeUnixNano":"'),
                c("nano"),
                pl.lit('","body":{"stringValue":"claude_code.'),
                c("event"),
                pl.lit('"},"attributes":['),
                attributes,
                pl.lit("]}"),
            ]
        )
    ).to_series()


def write_otel(ctx: SourceDayContext, records: Records, seen: set) -> Counter:
    """Claude Code events of the day's OTel users: their requests as api_request /
    api_error records, with user_prompt and tool_result records around them, one
    export request per user and 5-second export window (at most 8 records), one
    collector file per instance. Built column-wise: the same JSON as
    `otel_logs.gateway_record_to_otel_log_record` / `non_usage_log_record` /
    `export_logs_request` give per record (tests/unit/test_generator_sources.py)."""
    stats = _stats(records)
    if not len(records):
        return stats
    plan, pop, date = ctx.plan, ctx.population, ctx.date
    rng = stream(ctx.seed, OTEL_EVENTS, ctx.day)
    n = len(records)
    prompt_before = rng.random(n) < PROMPT_BEFORE_SHARE
    tool_after = rng.random(n) < TOOL_AFTER_SHARE
    prompt_gap = rng.integers(200, 3_000, n)
    tool_gap = rng.integers(100, 2_000, n)

    person = records.person
    known = person >= 0
    p = np.maximum(person, 0)
    owner = np.where(known, person, -1 - records.email)
    include_email = np.where(known, plan.otel_email[p], True)
    seen.update(("claude_account", int(x)) for x in np.unique(person[known & ~plan.otel_email[p]]))
    emails = ctx.email_table.gather(records.email)
    owners, owner_row = np.unique(owner, return_inverse=True)
    first_row = {int(o): int(np.flatnonzero(owner == o)[0]) for o in owners}
    per_owner = []
    for o in owners.tolist():
        if o >= 0:
            per_owner.append((
                stable_uuid(ctx.seed, "install", pop.employee_id[o]), plan.account_uuid[o],
                plan.organization_id, TERMINALS[o % len(TERMINALS)],
                STRING_COUNT_VERSION if plan.otel_string_counts[o] else CURRENT_VERSION,
                "linux" if o % 4 == 3 else "darwin", o % COLLECTORS,
            ))  # fmt: skip
        else:
            email = emails[first_row[o]]
            per_owner.append((
                stable_uuid("claude-code-install", email), None, None, "vscode",
                CURRENT_VERSION, "darwin", int(records.email[first_row[o]]) % COLLECTORS,
            ))  # fmt: skip
    columns = list(zip(*per_owner, strict=True))

    def owner_column(k, dtype=pl.String):
        return pl.Series(columns[k], dtype=dtype).gather(owner_row)

    prefix = request_id_prefix(date)
    sessions = {}
    session_ids = []
    for seq, session in zip(records.seq.tolist(), records.session.tolist(), strict=True):
        if session == NULL:
            session_ids.append(stable_uuid("claude-code-session", f"{prefix}{seq:08d}"))
        else:
            if session not in sessions:
                sessions[session] = stable_uuid(ctx.seed, "cc", f"ses_{session}")
            session_ids.append(sessions[session])
    prices = np.array([[x or 0.0 for x in cfg.PRICES[m]] for m in cfg.MODELS])[records.model]
    t = records.tokens
    cost = (t[:, 0] * prices[:, 0] + t[:, 1] * prices[:, 1] + t[:, 2] * prices[:, 2]
            + t[:, 3] * prices[:, 3]) / 1e6  # fmt: skip
    order = np.lexsort((records.seq, records.ms, owner))
    sequence = np.empty(n, np.int64)
    ranked_owner = owner[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ranked_owner)) + 1]
    sequence[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    base = pl.DataFrame(
        {
            "owner": owner,
            "seq": records.seq,
            "collector": owner_column(6, pl.Int64),
            "version": owner_column(4),
            "os": owner_column(5),
            "user_id": owner_column(0),
            "account": owner_column(1),
            "organization": owner_column(2),
            "terminal": owner_column(3),
            "session": pl.Series(session_ids, dtype=pl.String),
            "include_email": include_email,
            "email": emails,
            "string_counts": known & plan.otel_string_counts[p],
            "model": pl.Series(cfg.MODELS).gather(records.model),
            "event": np.where(records.status == SUCCESS, "api_request", "api_error"),
            "sequence": sequence,
            "latency": pl.Series(records.latency),
            "cost": pl.Series(cost).round(8),
            **{f"t{i}": t[:, i] for i in range(4)},
        }
    ).with_columns(
        latency=pl.when(pl.col("latency") != NULL).then(pl.col("latency")),
    )
    parts = [
        base.with_columns(ms=pl.Series(records.ms), kind=pl.lit(1)),
        base.filter(pl.Series(prompt_before)).with_columns(
            ms=pl.Series(np.maximum(0, records.ms - prompt_gap)[prompt_before]),
            event=pl.lit("user_prompt"),
            kind=pl.lit(0),
        ),
        base.filter(pl.Series(tool_after)).with_columns(
            ms=pl.Series(np.minimum(MS_PER_DAY - 1, records.ms + tool_gap)[tool_after]),
            event=pl.lit("tool_result"),
            kind=pl.lit(2),
        ),
    ]
    epoch_ms = (dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC).timestamp()) * 1000
    events = (
        pl.concat(parts, how="vertical_relaxed")
        .with_columns(
            nano=((pl.col("ms") + int(epoch_ms)) * 1_000_000).cast(pl.String),
            iso=(
                pl.lit(np.datetime64(date, "ms")) + pl.duration(milliseconds=pl.col("ms"))
            ).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        )
        .sort(["owner", "ms", "seq", "kind"])
    )
    events = events.with_columns(json=_event_json(events), window=pl.col("ms") // EXPORT_MS)
    envelope = {}
    for version, os_type in events.select("version", "os").unique().iter_rows():
        text = _compact(export_logs_request([], version=version, os_type=os_type))
        envelope[(version, os_type)] = text.split('"logRecords":[]')
    lines = (
        events.with_columns(
            chunk=pl.int_range(pl.len()).over(["owner", "window"]) // RECORDS_PER_EXPORT
        )
        .group_by(["collector", "owner", "window", "chunk"], maintain_order=True)
        .agg(
            pl.col("ms").first(),
            pl.col("version").first(),
            pl.col("os").first(),
            pl.col("json").str.join(","),
        )
        .sort(["collector", "ms", "owner", "chunk"])
    )
    for collector in range(COLLECTORS):
        mine = lines.filter(pl.col("collector") == collector)
        if not len(mine):
            continue
        texts = [
            f'{envelope[(v, o)][0]}"logRecords":[{body}]{envelope[(v, o)][1]}'
            for v, o, body in mine.select("version", "os", "json").iter_rows()
        ]
        body = ("\n".join(texts) + "\n").encode()
        name = f"claude-code-collector-{collector}-{date:%Y%m%d}.jsonl"
        path = f"{_partition('otel', date)}/{name}"
        if collector == 1:
            ctx.landing.write(path + ".gz", gzip_bytes([body]))
        else:
            ctx.landing.write(path, body)
        stats["files"] += 1
        stats["lines"] += len(texts)
    skipped = int(prompt_before.sum() + tool_after.sum())
    stats["records"] = n + skipped
    stats["skipped_records"] = skipped
    return stats


def _json_text(column: pl.Expr) -> pl.Expr:
    """A string column as JSON string literals (values here need no escaping but quotes)."""
    return pl.concat_str(
        [pl.lit('"'), column.str.replace_all('"', '\\"', literal=True), pl.lit('"')]
    )


def _nullable_text(column: pl.Expr) -> pl.Expr:
    return pl.when(column.is_not_null()).then(_json_text(column)).otherwise(pl.lit("null"))


def _litellm_json(frame: pl.DataFrame) -> pl.Series:
    """Each row as `litellm_logs.gateway_record_to_litellm_row` gives it, as JSON text."""
    c = pl.col
    success = c("status") == SUCCESS
    read = pl.when(success).then(c("t3")).otherwise(0)
    write = pl.when(success).then(c("t2")).otherwise(0)
    prompt = pl.when(success).then(c("t0") + c("t3") + c("t2")).otherwise(0)
    completion = pl.when(success).then(c("t1")).otherwise(0)
    total = prompt + completion

    def usage_object(sep: str, colon: str) -> pl.Expr:
        def kv(key, value):
            return [pl.lit(f'"{key}"{colon}'), value.cast(pl.String)]

        return pl.concat_str(
            [pl.lit("{"), *kv("prompt_tokens", prompt), pl.lit(sep), *kv("completion_tokens", completion),
             pl.lit(sep), *kv("total_tokens", total), pl.lit(sep),
             pl.lit(f'"prompt_tokens_details"{colon}{{"cached_tokens"{colon}'), read.cast(pl.String),
             pl.lit("}" + sep), *kv("cache_read_input_tokens", read), pl.lit(sep),
             *kv("cache_creation_input_tokens", write), pl.lit("}")]
        )  # fmt: skip

    def metadata(sep: str, colon: str) -> pl.Expr:
        return pl.concat_str(
            [pl.lit(f'{{"user_api_key"{colon}'), _json_text(c("api_key")), pl.lit(sep),
             pl.lit(f'"user_api_key_user_id"{colon}'), _json_text(c("user")), pl.lit(sep),
             pl.lit(f'"usage_object"{colon}'), usage_object(sep, colon), pl.lit(sep),
             pl.lit(f'"spend_logs_metadata"{colon}null}}')]
        )  # fmt: skip

    as_string = _json_text(metadata(", ", ": "))
    model = pl.when(c("prefixed")).then(pl.concat_str([pl.lit(PROVIDER + "/"), c("model")]))
    spend = pl.when(success).then(c("cost").cast(pl.String)).otherwise(pl.lit("0.0"))
    fields = [
        ("request_id", _json_text(c("request_id"))),
        ("call_type", pl.lit('"acompletion"')),
        ("api_key", _json_text(c("api_key"))),
        ("spend", spend),
        ("total_tokens", total.cast(pl.String)),
        ("prompt_tokens", prompt.cast(pl.String)),
        ("completion_tokens", completion.cast(pl.String)),
        ("startTime", _json_text(c("start"))),
        ("endTime", _json_text(c("end"))),
        ("request_duration_ms", c("latency").cast(pl.String).fill_null("null")),
        ("model", _json_text(model.otherwise(c("model")))),
        ("model_group", _json_text(c("model"))),
        ("custom_llm_provider", pl.lit(f'"{PROVIDER}"')),
        ("api_base", pl.lit(f'"{API_BASE}"')),
        ("user", _json_text(c("user"))),
        (
            "metadata",
            pl.when(c("metadata_as_string")).then(as_string).otherwise(metadata(",", ":")),
        ),
        ("cache_hit", pl.lit('"False"')),
        ("cache_key", pl.lit('""')),
        ("request_tags", c("tags")),
        ("team_id", pl.lit("null")),
        ("end_user", pl.lit('""')),
        ("session_id", _nullable_text(c("session_id"))),
        ("status", pl.when(success).then(pl.lit('"success"')).otherwise(pl.lit('"failure"'))),
        ("agent_id", _nullable_text(c("agent_id"))),
    ]
    pieces = [pl.lit("{")]
    for i, (key, value) in enumerate(fields):
        pieces += [pl.lit(("," if i else "") + f'"{key}":'), value]
    pieces.append(pl.lit("}"))
    return frame.select(pl.concat_str(pieces)).to_series()


def write_litellm(ctx: SourceDayContext, records: Records, seen: set) -> Counter:
    """LiteLLM spend-log rows of the day's LiteLLM users, one export per proxy, in
    start-time order. Built column-wise: the same rows as
    `litellm_logs.gateway_record_to_litellm_row` gives per record
    (tests/unit/test_generator_sources.py)."""
    stats = _stats(records)
    if not len(records):
        return stats
    plan, date, n = ctx.plan, ctx.date, len(records)
    person, seq = records.person, records.seq
    known = person >= 0
    p = np.maximum(person, 0)
    mode = np.where(known, plan.litellm_identity[p], LITELLM_EMAIL)
    for kind, code in (("litellm_user", LITELLM_USER), ("litellm_api_key", LITELLM_KEY)):
        seen.update((kind, int(x)) for x in np.unique(person[known & (mode == code)]))
    emails = ctx.email_table.gather(records.email)
    strangers = {
        int(e): plan.stranger_key(emails[i])
        for i, e in enumerate(records.email.tolist())
        if person[i] < 0
    }
    api_key = [
        plan.api_key_on(x, ctx.day) if x >= 0 else strangers[int(e)]
        for x, e in zip(person.tolist(), records.email.tolist(), strict=True)
    ]
    user = [
        plan.litellm_user[x] if m == LITELLM_USER else ("" if m == LITELLM_KEY else None)
        for x, m in zip(person.tolist(), mode.tolist(), strict=True)
    ]  # fmt: skip
    instance = np.where(known, person, records.email) % LITELLM_INSTANCES
    # LiteLLM's request ids are uuid4s (litellm_call_id)
    raw = stream(ctx.seed, LITELLM_IDS, ctx.day).bytes(16 * n).hex()
    request_ids = [
        f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
        for h in (raw[32 * i : 32 * i + 32] for i in range(n))
    ]
    clients = np.array(cfg.CLIENTS)[records.client]
    tags = np.where(
        seq % 10 == 0,
        '["env:prod"]',
        np.where(seq % 2 == 1, np.char.add(np.char.add('["env:prod","', clients), '"]'),
                 np.char.add(np.char.add('["', clients), '"]')),
    )  # fmt: skip
    prices = np.array([[x or 0.0 for x in cfg.PRICES[m]] for m in cfg.MODELS])[records.model]
    t = records.tokens
    cost = (t[:, 0] * prices[:, 0] + t[:, 1] * prices[:, 1] + t[:, 2] * prices[:, 2]
            + t[:, 3] * prices[:, 3]) / 1e6  # fmt: skip
    start = np.datetime64(date, "ms") + records.ms.astype("timedelta64[ms]")
    latency = np.where(records.latency == NULL, 0, records.latency)
    end = start + latency.astype("timedelta64[ms]")
    frame = pl.DataFrame(
        {
            "ms": records.ms,
            "seq": seq,
            "instance": instance,
            "request_id": request_ids,
            "api_key": api_key,
            "user": pl.Series(user, dtype=pl.String),
            "email": emails,
            "status": records.status,
            "t0": t[:, 0], "t1": t[:, 1], "t2": t[:, 2], "t3": t[:, 3],
            "cost": pl.Series(cost).round(8),
            "start": np.datetime_as_string(start, unit="ms"),
            "end": np.datetime_as_string(end, unit="ms"),
            "latency": records.latency,
            "model": pl.Series(cfg.MODELS).gather(records.model),
            "prefixed": seq % 3 == 0,
            "metadata_as_string": instance == 1,
            "tags": tags,
            "session_id": records.session,
            "agent_id": records.agent,
        }
    ).with_columns(
        user=pl.coalesce(pl.col("user"), pl.col("email")),
        latency=pl.when(pl.col("latency") != NULL).then(pl.col("latency")),
        session_id=pl.when(pl.col("session_id") != NULL)
        .then(pl.concat_str([pl.lit("ses_"), pl.col("session_id").cast(pl.String)])),
        agent_id=pl.when(pl.col("agent_id") != NULL)
        .then(pl.concat_str([pl.lit("agt_"), pl.col("agent_id").cast(pl.String)])),
    ).sort(["ms", "seq"])  # fmt: skip
    frame = frame.with_columns(json=_litellm_json(frame))
    for k in range(LITELLM_INSTANCES):
        texts = frame.filter(pl.col("instance") == k)["json"].to_list()
        if not texts:
            continue
        body = ("\n".join(texts) + "\n").encode()
        path = f"{_partition('litellm', date)}/spend-logs-litellm-{k}-{date:%Y%m%d}.jsonl.gz"
        ctx.landing.write(path, gzip_bytes([body]))
        stats["files"] += 1
        stats["lines"] += len(texts)
    stats["records"] = n
    return stats


def write_copilot(ctx: SourceDayContext, state: DayState, seen: set) -> Counter:
    """The day's users-1-day report: Copilot users at work who have taken up AI,
    some of them with inline completions only."""
    plan, pop, date = ctx.plan, ctx.population, ctx.date
    stats = Counter()
    # Copilot is AI use too: never-users never touch it, others from their adoption day
    users = np.flatnonzero(plan.copilot_user & state.active & pop.adopted_on(ctx.day))
    rng = stream(ctx.seed, copilot.COPILOT_EVENTS, ctx.day)
    workday = pop.period.is_workday(ctx.day)
    shown, interactions, completions, accepted, agent, ide, language, model = (
        copilot.draw_user_days(rng, users, workday)
    )
    lines = []
    for i, person in enumerate(shown.tolist()):
        row = copilot.user_day(
            date,
            100_000 + person,
            plan.github_display[person],
            interactions=int(interactions[i]),
            completions=int(completions[i]),
            accepted=int(accepted[i]),
            agent_edits=int(agent[i]),
            ide=copilot.IDES[ide[i]],
            language=copilot.LANGUAGES[language[i]],
            chat_model=copilot.CHAT_MODELS[model[i]],
        )
        lines.append((plan.github_login[person], _compact(row)))
        seen.add(("github_login", person))
        stats["user_days"] += 1
        stats["active_user_days"] += int(interactions[i] > 0)
        stats["interactions"] += int(interactions[i])
    if lines:
        lines.sort()
        body = ("\n".join(text for _, text in lines) + "\n").encode()
        path = f"{_partition('copilot', date)}/users-1-day-{date.isoformat()}.ndjson.gz"
        ctx.landing.write(path, gzip_bytes([body]))
        stats["files"] += 1
    return stats
