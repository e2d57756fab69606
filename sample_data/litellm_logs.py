"""Rows of LiteLLM's `LiteLLM_SpendLogs` table, exported as JSON lines.

Follows the `LiteLLM_SpendLogs` model of LiteLLM's `schema.prisma` (request_id,
call_type, api_key = the hashed virtual key, spend, total/prompt/completion_tokens,
startTime/endTime as UTC without offset, model, model_group, custom_llm_provider,
user, metadata, request_tags, session_id, status, agent_id, …) and the
`metadata.usage_object` LiteLLM logs for Anthropic models: OpenAI-style counts,
`prompt_tokens` including the cached tokens, plus `cache_read_input_tokens` and
`cache_creation_input_tokens`.

What a gateway record cannot keep here: the batch tier (spend logs are standard
tier for the warehouse), the 5-minute / 1-hour split of cache writes, and the
tokens of a failed request (LiteLLM logs failures with zero tokens).
"""

from __future__ import annotations

import datetime as dt
import json

from sample_data.otel_logs import estimated_cost_usd, utc_moment
from sample_data.tool_plan import hashed_key

PROVIDER = "anthropic"
API_BASE = "https://api.anthropic.com/v1/messages"


def litellm_time(moment: dt.datetime) -> str:
    """LiteLLM's DateTime columns: UTC, no offset."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def gateway_record_to_litellm_row(
    record: dict,
    *,
    user: str | None = None,
    api_key: str | None = None,
    request_id: str | None = None,
    provider_prefix: bool = False,
    metadata_as_string: bool = False,
    tags: list[str] | None = None,
) -> dict:
    """The `LiteLLM_SpendLogs` row for one canonical gateway usage record (a dict
    as read from a gateway JSON line).

    `user` defaults to the record's email (pass a LiteLLM user id, or "" for a
    key-only caller); `api_key` to a hash derived from the email; `request_id` to
    the record's. `provider_prefix` writes `anthropic/<model>`; `metadata_as_string`
    writes `metadata` as a JSON string, as some exports do; `tags` default to the
    record's client. A failed request is a `failure` row without tokens.
    """
    start = utc_moment(record["timestamp"])
    latency = record.get("latency_ms")
    end = start + dt.timedelta(milliseconds=int(latency) if latency is not None else 0)
    success = record["status"] == "success"
    usage = record["usage"]
    if success:
        read = int(usage["cache_read_input_tokens"])
        write = int(usage["cache_creation_input_tokens"])
        prompt = int(usage["input_tokens"]) + read + write
        completion = int(usage["output_tokens"])
        spend = estimated_cost_usd(record["model"], usage)
    else:
        read = write = prompt = completion = 0
        spend = 0.0
    usage_object = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": read},
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
    }
    email = record["user_email"]
    key = api_key if api_key is not None else hashed_key("litellm", email)
    metadata = {
        "user_api_key": key,
        "user_api_key_user_id": user if user is not None else email,
        "usage_object": usage_object,
        "spend_logs_metadata": None,
    }
    model = record["model"]
    return {
        "request_id": request_id or record["request_id"],
        "call_type": "acompletion",
        "api_key": key,
        "spend": spend,
        "total_tokens": prompt + completion,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "startTime": litellm_time(start),
        "endTime": litellm_time(end),
        "request_duration_ms": latency,
        "model": f"{PROVIDER}/{model}" if provider_prefix else model,
        "model_group": model,
        "custom_llm_provider": PROVIDER,
        "api_base": API_BASE,
        "user": user if user is not None else email,
        "metadata": json.dumps(metadata) if metadata_as_string else metadata,
        "cache_hit": "False",
        "cache_key": "",
        "request_tags": tags if tags is not None else [record["client"]],
        "team_id": None,
        "end_user": "",
        "session_id": record.get("session_id"),
        "status": "success" if success else "failure",
        "agent_id": record.get("agent_id"),
    }
