"""One day of the non-gateway sources: the day's requests of OTel and LiteLLM users
written in those tools' formats, and the day's Copilot report.

Each request is first the canonical gateway record (`record_as_dict`, the same
dict a gateway line holds) and then goes through the per-format writer functions
(`otel_logs`, `litellm_logs`), so the generator and the equivalence test's
converter share one definition of each format. Files are named after their own
day only, so parallel days never touch the same file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

import numpy as np

from sample_data import copilot_metrics as copilot
from sample_data.litellm_logs import gateway_record_to_litellm_row
from sample_data.otel_logs import (
    CURRENT_VERSION,
    STRING_COUNT_VERSION,
    export_logs_request,
    gateway_record_to_otel_log_record,
    non_usage_log_record,
)
from sample_data.population import DayState, Population
from sample_data.randomness import stream
from sample_data.sources import (
    LITELLM_EMAIL,
    LITELLM_KEY,
    LITELLM_USER,
    SourcePlan,
    stable_uuid,
)
from sample_data.storage import Landing, gzip_bytes
from sample_data.usage_lines import records_as_dicts
from sample_data.usage_records import SUCCESS, Records

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


def write_otel(ctx: SourceDayContext, records: Records, seen: set) -> Counter:
    """Claude Code events of the day's OTel users: their requests as api_request /
    api_error records, with user_prompt and tool_result records around them,
    batched per user into export requests, one collector file per instance."""
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
    owner = np.where(records.person >= 0, records.person, -1 - records.email)
    order = np.lexsort((records.seq, records.ms, owner))
    midnight = dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC)
    canonical = records_as_dicts(records, date, ctx.email_table)
    sessions: dict[str, str] = {}
    installs: dict[int, str] = {}
    lines: dict[int, list[tuple[int, str]]] = {k: [] for k in range(COLLECTORS)}
    skipped = 0

    def flush(batch, person, collector, first_ms):
        version = (
            STRING_COUNT_VERSION
            if person >= 0 and plan.otel_string_counts[person]
            else CURRENT_VERSION
        )
        os_type = "linux" if person >= 0 and person % 4 == 3 else "darwin"
        line = export_logs_request(batch, version=version, os_type=os_type)
        lines[collector].append((first_ms, _compact(line)))

    batch, batch_owner, batch_first, sequence = [], None, 0, 0
    batch_person = batch_collector = batch_last = 0
    for row in order.tolist():
        who = int(owner[row])
        person = int(records.person[row])
        ms = int(records.ms[row])
        if who != batch_owner or len(batch) >= RECORDS_PER_EXPORT or ms - batch_last > EXPORT_MS:
            if batch:
                flush(batch, batch_person, batch_collector, batch_first)
            if who != batch_owner:
                sequence = 0
            batch, batch_owner, batch_first = [], who, ms
            batch_person = person
            batch_collector = (person if person >= 0 else int(records.email[row])) % COLLECTORS
        record = canonical[row]
        key = record["session_id"]
        if key is not None:
            if key not in sessions:
                sessions[key] = stable_uuid(ctx.seed, "cc", key)
            record["session_id"] = sessions[key]
        if person >= 0:
            if person not in installs:
                installs[person] = stable_uuid(ctx.seed, "install", pop.employee_id[person])
            who_kw = dict(
                include_email=bool(plan.otel_email[person]),
                account_uuid=plan.account_uuid[person],
                user_id=installs[person],
                organization_id=plan.organization_id,
                terminal=TERMINALS[person % len(TERMINALS)],
            )
            if not plan.otel_email[person]:
                seen.add(("claude_account", person))
        else:
            who_kw = dict(include_email=True, organization_id=None, terminal="vscode")
        batch_last = ms
        if prompt_before[row]:
            moment = midnight + dt.timedelta(milliseconds=max(0, ms - int(prompt_gap[row])))
            batch.append(non_usage_log_record(record, "user_prompt", moment, **who_kw))
            skipped += 1
        sequence += 1
        batch.append(
            gateway_record_to_otel_log_record(
                record,
                string_counts=person >= 0 and bool(plan.otel_string_counts[person]),
                sequence=sequence,
                **who_kw,
            )
        )
        if tool_after[row]:
            later = min(MS_PER_DAY - 1, ms + int(tool_gap[row]))
            moment = midnight + dt.timedelta(milliseconds=later)
            batch.append(non_usage_log_record(record, "tool_result", moment, **who_kw))
            skipped += 1
    if batch:
        flush(batch, batch_person, batch_collector, batch_first)

    for collector, entries in lines.items():
        if not entries:
            continue
        entries.sort(key=lambda item: item[0])
        body = ("\n".join(text for _, text in entries) + "\n").encode()
        name = f"claude-code-collector-{collector}-{date:%Y%m%d}.jsonl"
        path = f"{_partition('otel', date)}/{name}"
        if collector == 1:
            ctx.landing.write(path + ".gz", gzip_bytes([body]))
        else:
            ctx.landing.write(path, body)
        stats["files"] += 1
        stats["lines"] += len(entries)
    stats["records"] = n + skipped
    stats["skipped_records"] = skipped
    return stats


def write_litellm(ctx: SourceDayContext, records: Records, seen: set) -> Counter:
    """LiteLLM spend-log rows of the day's LiteLLM users, one export per proxy."""
    stats = _stats(records)
    if not len(records):
        return stats
    plan, _pop, date = ctx.plan, ctx.population, ctx.date
    rows: dict[int, list[tuple[int, int, str]]] = {k: [] for k in range(LITELLM_INSTANCES)}
    canonical = records_as_dicts(records, date, ctx.email_table)
    # LiteLLM's request ids are uuid4s (litellm_call_id)
    raw = stream(ctx.seed, LITELLM_IDS, ctx.day).bytes(16 * len(records)).hex()
    for row in np.lexsort((records.seq, records.ms)).tolist():
        record = canonical[row]
        h = raw[32 * row : 32 * row + 32]
        request_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
        person = int(records.person[row])
        seq = int(records.seq[row])
        if person >= 0:
            mode = int(plan.litellm_identity[person])
            user = {
                LITELLM_EMAIL: record["user_email"],
                LITELLM_USER: plan.litellm_user[person],
                LITELLM_KEY: "",
            }[mode]
            api_key = plan.api_key[person]
            instance = person % LITELLM_INSTANCES
            if mode == LITELLM_USER:
                seen.add(("litellm_user", person))
            elif mode == LITELLM_KEY:
                seen.add(("litellm_api_key", person))
        else:
            user = record["user_email"]
            api_key = plan.stranger_key(user)
            instance = int(records.email[row]) % LITELLM_INSTANCES
        client = record["client"]
        tags = ["env:prod"] if seq % 10 == 0 else (["env:prod", client] if seq % 2 else [client])
        spend_row = gateway_record_to_litellm_row(
            record,
            user=user,
            api_key=api_key,
            request_id=request_id,
            provider_prefix=seq % 3 == 0,
            metadata_as_string=instance == 1,
            tags=tags,
        )
        rows[instance].append((int(records.ms[row]), seq, _compact(spend_row)))
    for instance, entries in rows.items():
        if not entries:
            continue
        body = ("\n".join(text for _, _, text in entries) + "\n").encode()
        path = f"{_partition('litellm', date)}/spend-logs-litellm-{instance}-{date:%Y%m%d}.jsonl.gz"
        ctx.landing.write(path, gzip_bytes([body]))
        stats["files"] += 1
        stats["lines"] += len(entries)
    stats["records"] = len(records)
    return stats


def write_copilot(ctx: SourceDayContext, state: DayState, seen: set) -> Counter:
    """The day's users-1-day report: Copilot users at work, some of them idle."""
    plan, pop, date = ctx.plan, ctx.population, ctx.date
    stats = Counter()
    users = np.flatnonzero(plan.copilot_user & state.active)
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
