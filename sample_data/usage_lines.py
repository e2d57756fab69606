"""Turning request columns into JSON Lines, and planting single-defect bad lines.

Clean lines are written by Polars in one call per file; the few bad lines are
built in Python and spliced in at chosen line numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import polars as pl

from sample_data import organisation as cfg
from sample_data.provider_costs import one_hour_tokens
from sample_data.usage_records import NULL, Records

_SHARD_OFFSET_MS = np.array([offset * 60_000 for offset, _ in cfg.SHARD_TIME_FORMATS])


def _suffix(offset_minutes: int, utc_suffix: str | None) -> str:
    if utc_suffix is not None:
        return utc_suffix
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


_SHARD_SUFFIXES = [_suffix(o, s) for o, s in cfg.SHARD_TIME_FORMATS]
_CLIENTS = pl.Series(cfg.CLIENTS)
_MODELS = pl.Series(cfg.MODELS)
_TIERS = pl.Series(["standard", "batch"])
_STATUSES = pl.Series(["success", "error"])
_SUFFIXES = pl.Series(_SHARD_SUFFIXES)
USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def request_id_prefix(day: dt.date) -> str:
    return f"req_{day:%Y%m%d}_"


def _nullable(column: str) -> pl.Expr:
    return pl.when(pl.col(column) != NULL).then(pl.col(column))


def render_clean_lines(records: Records, day: dt.date, email_table: pl.Series) -> memoryview:
    """The records as JSON Lines, in the given order, in the gateway's layout."""
    if len(records) == 0:
        return memoryview(b"")
    local_ms = records.ms + _SHARD_OFFSET_MS[records.shard]
    stamps = np.datetime64(day, "ms") + local_ms.astype("timedelta64[ms]")
    one_hour = one_hour_tokens(records.client, records.seq, records.tokens[:, 2])
    raw = pl.DataFrame(
        {
            "seq": records.seq,
            "stamp": stamps,
            "suffix": _SUFFIXES.gather(records.shard),
            "user_email": email_table.gather(records.email),
            "client": _CLIENTS.gather(records.client),
            "agent": records.agent,
            "session": records.session,
            "model": _MODELS.gather(records.model),
            "service_tier": _TIERS.gather(records.tier),
            "status": _STATUSES.gather(records.status),
            **{key: records.tokens[:, i] for i, key in enumerate(USAGE_KEYS)},
            "latency": records.latency,
            "split": np.isin(records.client, cfg.AGENT_CLIENTS),
            "ephemeral_5m_input_tokens": records.tokens[:, 2] - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        }
    )
    # agent clients report Anthropic's 5-minute / 1-hour split of cache writes
    cache_creation = (
        pl.when(pl.col("split"))
        .then(pl.struct("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"))
        .alias("cache_creation")
    )
    lines = raw.select(
        pl.concat_str(pl.lit(request_id_prefix(day)), pl.col("seq").cast(pl.String).str.zfill(8)).alias("request_id"),
        pl.concat_str(pl.col("stamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f"), pl.col("suffix")).alias("timestamp"),
        "user_email",
        "client",
        pl.concat_str(pl.lit("agt_"), _nullable("agent").cast(pl.String)).alias("agent_id"),
        pl.concat_str(pl.lit("ses_"), _nullable("session").cast(pl.String)).alias("session_id"),
        "model",
        "service_tier",
        "status",
        pl.struct(*USAGE_KEYS, cache_creation).alias("usage"),
        _nullable("latency").alias("latency_ms"),
    )  # fmt: skip
    buffer = io.BytesIO()
    lines.write_ndjson(buffer)
    return buffer.getbuffer()


def format_timestamp(day: dt.date, ms: int, shard: int) -> str:
    moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(
        milliseconds=int(ms + _SHARD_OFFSET_MS[shard])
    )
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}{_SHARD_SUFFIXES[shard]}"


def record_as_dict(records: Records, row: int, day: dt.date, email_table: pl.Series) -> dict:
    """One record as the same JSON object the clean writer produces."""

    def optional(prefix: str, value: int) -> str | None:
        return None if value == NULL else f"{prefix}{value}"

    latency = int(records.latency[row])
    return {
        "request_id": f"{request_id_prefix(day)}{int(records.seq[row]):08d}",
        "timestamp": format_timestamp(day, int(records.ms[row]), int(records.shard[row])),
        "user_email": email_table[int(records.email[row])],
        "client": cfg.CLIENTS[records.client[row]],
        "agent_id": optional("agt_", int(records.agent[row])),
        "session_id": optional("ses_", int(records.session[row])),
        "model": cfg.MODELS[records.model[row]],
        "service_tier": ("standard", "batch")[records.tier[row]],
        "status": ("success", "error")[records.status[row]],
        "usage": {key: int(records.tokens[row, i]) for i, key in enumerate(USAGE_KEYS)},
        "latency_ms": None if latency == NULL else latency,
    }


def records_as_dicts(records: Records, day: dt.date, email_table: pl.Series) -> list[dict]:
    """All records as `record_as_dict` would give them, timestamps in UTC (`Z`),
    built column by column: the start of every non-gateway writer (source_day.py)."""
    n = len(records)
    if n == 0:
        return []
    prefix = request_id_prefix(day)
    stamps = np.datetime64(day, "ms") + records.ms.astype("timedelta64[ms]")
    times = np.char.add(np.datetime_as_string(stamps, unit="ms"), "Z").tolist()
    emails = email_table.gather(records.email).to_list()
    tokens = records.tokens.tolist()
    latency = records.latency.tolist()
    agents, sessions = records.agent.tolist(), records.session.tolist()
    tiers, statuses = ("standard", "batch"), ("success", "error")
    out = []
    for i, seq in enumerate(records.seq.tolist()):
        t = tokens[i]
        out.append(
            {
                "request_id": f"{prefix}{seq:08d}",
                "timestamp": times[i],
                "user_email": emails[i],
                "client": cfg.CLIENTS[records.client[i]],
                "agent_id": None if agents[i] == NULL else f"agt_{agents[i]}",
                "session_id": None if sessions[i] == NULL else f"ses_{sessions[i]}",
                "model": cfg.MODELS[records.model[i]],
                "service_tier": tiers[records.tier[i]],
                "status": statuses[records.status[i]],
                "usage": dict(zip(USAGE_KEYS, t, strict=True)),
                "latency_ms": None if latency[i] == NULL else latency[i],
            }
        )
    return out


def _compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


_REQUIRED_KEYS = ("request_id", "timestamp", "user_email", "client", "model", "status", "usage")


def _invalid_json(rng, record: dict, day: dt.date) -> str:
    text = _compact(record)
    variant = int(rng.integers(3))
    if variant == 0:  # the writer died mid-line
        return text[: len(text) // 2]
    if variant == 1:  # someone's Python repr() got into the log
        return text.replace('"', "'")
    return text + "}"


def _missing_field(rng, record: dict, day: dt.date) -> str:
    variant = int(rng.integers(3))
    if variant == 0:
        del record[_REQUIRED_KEYS[int(rng.integers(len(_REQUIRED_KEYS)))]]
    elif variant == 1:
        record[_REQUIRED_KEYS[int(rng.integers(len(_REQUIRED_KEYS)))]] = None
    else:
        del record["usage"][USAGE_KEYS[int(rng.integers(4))]]
    return _compact(record)


def _wrong_type(rng, record: dict, day: dt.date) -> str:
    key = USAGE_KEYS[int(rng.integers(4))]
    value = record["usage"][key]
    record["usage"][key] = (str(value), value + 0.5, "n/a")[int(rng.integers(3))]
    return _compact(record)


def _negative_count(rng, record: dict, day: dt.date) -> str:
    key = USAGE_KEYS[int(rng.integers(4))]
    record["usage"][key] = -int(rng.integers(1, 5_000))
    return _compact(record)


def _invalid_timestamp(rng, record: dict, day: dt.date) -> str:
    unparseable = (
        f"{day:%Y}-13-{day:%d}T10:00:00Z",
        f"{day:%Y-%m-%d}T25:61:00Z",
        f"{day:%Y-%m}-32T09:15:00+00:00",
        "yesterday",
        "n/a",
    )
    record["timestamp"] = unparseable[int(rng.integers(len(unparseable)))]
    return _compact(record)


def _timestamp_after_delivery(rng, record: dict, day: dt.date) -> str:
    """Clock skew: the event claims to be days after the file was delivered."""
    future = dt.datetime.combine(day, dt.time()) + dt.timedelta(
        days=int(rng.integers(3, 7)), seconds=int(rng.integers(0, 86_400))
    )
    record["timestamp"] = f"{future:%Y-%m-%dT%H:%M:%S}.000Z"
    return _compact(record)


DEFECTS = {
    "invalid_json": _invalid_json,
    "missing_field": _missing_field,
    "wrong_type": _wrong_type,
    "negative_count": _negative_count,
    "invalid_timestamp": _invalid_timestamp,
    "timestamp_after_delivery": _timestamp_after_delivery,
}
assert set(DEFECTS) == set(cfg.USAGE_BAD_LINE_SHARES)


def splice_lines(
    clean: memoryview, line_starts: np.ndarray, inserts: list[tuple[int, str]]
) -> list[memoryview | bytes]:
    """The clean lines as chunks, with extra lines inserted before the given
    0-based line numbers (`line_starts` holds every line's offset, then the end)."""
    pieces, previous = [], 0
    for position, line in sorted(inserts, key=lambda item: item[0]):
        offset = int(line_starts[position])
        pieces.append(clean[previous:offset])
        pieces.append(line.encode() + b"\n")
        previous = offset
    pieces.append(clean[previous:])
    return pieces
