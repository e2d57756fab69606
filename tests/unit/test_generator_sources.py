"""`aiw generate --sources`: the generated organisation delivers its usage as Claude
Code OTel logs, LiteLLM spend logs and Copilot user-day reports. Every file is read
back here independently of the generator (json, csv, gzip) and checked against the
formats' documented shape, the truth, and the same organisation sent through the
gateway alone."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from orchestration.cli import main
from sample_data import generate_landing
from sample_data.litellm_logs import gateway_record_to_litellm_row
from sample_data.otel_logs import gateway_record_to_otel_log_record
from tests.conftest import CONFORMANCE

# one worker runs the module, so the module-wide `everything` is made once
pytestmark = pytest.mark.xdist_group("generator_sources")

ALL = "gateway,otel,litellm,copilot"
SMALL = dict(employees=40, days=6, seed=11, requests_per_dev_day=8.0, progress=False)
ANY_VALUE_KINDS = {"stringValue", "intValue", "doubleValue", "boolValue"}
OTEL_EVENTS = {"api_request", "api_error", "user_prompt", "tool_result"}
COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")
GATEWAY_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
LITELLM_KEYS = {
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
    "completion_tokens", "startTime", "endTime", "model", "user", "metadata",
    "request_tags", "session_id", "status", "agent_id",
}  # fmt: skip
COPILOT_KEYS = {
    "day", "user_id", "user_login", "user_initiated_interaction_count",
    "code_generation_activity_count", "code_acceptance_activity_count", "loc_added_sum",
    "used_agent", "used_chat", "totals_by_ide", "totals_by_feature",
    "totals_by_language_feature", "totals_by_language_model", "totals_by_model_feature",
}  # fmt: skip
IDENTITY_TYPES = {"github_login", "claude_account", "litellm_user", "litellm_api_key"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


# --- reading the landing zone back ------------------------------------------------------


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def text_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode().splitlines()


def partition(path: Path) -> dt.date:
    return dt.date.fromisoformat(path.parent.name.removeprefix("dt="))


def values(attributes: list[dict]) -> dict:
    """OTLP attributes as {key: python value}, checking each AnyValue's encoding."""
    out = {}
    for item in attributes:
        assert set(item) == {"key", "value"}
        (kind, value), *rest = item["value"].items()
        assert not rest and kind in ANY_VALUE_KINDS
        if kind == "intValue":  # int64: a decimal string in OTLP/JSON
            assert isinstance(value, str) and value.isdigit()
            value = int(value)
        out[item["key"]] = value
    return out


def otel_records(root: Path):
    """(partition day, attributes, resource attributes, record) of every log record."""
    for path in sorted((root / "otel").rglob("*.jsonl*")):
        for line in text_lines(path):
            request = json.loads(line)
            for resource_logs in request["resourceLogs"]:
                resource = values(resource_logs["resource"]["attributes"])
                for scope_logs in resource_logs["scopeLogs"]:
                    assert scope_logs["scope"]["name"] == "com.anthropic.claude_code.events"
                    for record in scope_logs["logRecords"]:
                        yield partition(path), values(record["attributes"]), resource, record


def litellm_rows(root: Path):
    for path in sorted((root / "litellm").rglob("*.jsonl*")):
        for line in text_lines(path):
            row = json.loads(line)
            metadata = row["metadata"]
            row["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            row["_metadata_was_string"] = isinstance(metadata, str)
            yield partition(path), row


def copilot_rows(root: Path):
    for path in sorted((root / "copilot").rglob("*.ndjson*")):
        for line in text_lines(path):
            yield partition(path), json.loads(line)


def gateway_records(root: Path):
    for path in sorted((root / "usage").rglob("*.jsonl.gz")):
        for line in text_lines(path):
            yield json.loads(line)


def identity_rows(root: Path) -> list[dict]:
    text = (root / "reference" / "identities.csv").read_text()
    assert text.splitlines()[0] == (
        "employee_id,identity_type,identity_value,effective_from,effective_to"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        assert row["identity_type"] in IDENTITY_TYPES
        row["effective_from"] = dt.date.fromisoformat(row["effective_from"])
        row["effective_to"] = (
            dt.date.fromisoformat(row["effective_to"]) if row["effective_to"] else dt.date.max
        )
        assert row["effective_from"] < row["effective_to"]
    return rows


def identity_map(root: Path) -> dict[tuple[str, str], set[str]]:
    """(identity_type, value) -> the employees it ever names."""
    mapping = {}
    for row in identity_rows(root):
        key = (row["identity_type"], row["identity_value"].strip().lower())
        mapping.setdefault(key, set()).add(row["employee_id"])
    return mapping


def resolver(root: Path):
    """Resolve (type, value) on a day: roster emails, or the identity in force that
    day (effective_to exclusive); None when nothing or more than one matches."""
    emails = roster_emails(root)
    rows = identity_rows(root) if (root / "reference" / "identities.csv").exists() else []
    by_key = {}
    for row in rows:
        key = (row["identity_type"], row["identity_value"].strip().lower())
        by_key.setdefault(key, []).append(row)

    def resolve(identity, day: dt.date):
        kind, value = identity
        if kind == "email":
            return emails.get(value)
        found = {
            row["employee_id"]
            for row in by_key.get(identity, [])
            if row["effective_from"] <= day < row["effective_to"]
        }
        return found.pop() if len(found) == 1 else None

    return resolve


def roster_emails(root: Path) -> dict[str, str]:
    emails = {}
    for path in sorted((root / "roster").glob("*.csv")):
        for row in csv.DictReader(io.StringIO(path.read_text())):
            emails[row["work_email"].lower()] = row["employee_id"]
    return emails


def gateway_tokens(record: dict) -> int:
    return sum(record["usage"][k] for k in GATEWAY_COUNTS) if record["status"] == "success" else 0


def otel_identity(attrs: dict) -> tuple[str, str]:
    if attrs.get("user.email"):
        return ("email", attrs["user.email"].lower())
    return ("claude_account", attrs["user.account_uuid"].lower())


def litellm_identity(row: dict) -> tuple[str, str]:
    user = (row["user"] or "").strip()
    if EMAIL.match(user):
        return ("email", user.lower())
    if user:
        return ("litellm_user", user.lower())
    return ("litellm_api_key", row["api_key"].lower())


def litellm_tokens(row: dict) -> int:
    if row["status"] != "success":
        return 0
    usage = row["metadata"]["usage_object"]
    read, write = (
        usage.get("cache_read_input_tokens", 0),
        usage.get("cache_creation_input_tokens", 0),
    )
    assert row["prompt_tokens"] >= read + write  # prompt_tokens includes the cached tokens
    return row["prompt_tokens"] - read - write + row["completion_tokens"] + read + write


def usage_by_developer(root: Path) -> tuple[dict, dict, set]:
    """Billable tokens and requests per employee over every request source, and the
    identities that nothing in the map or the roster resolves."""
    resolve = resolver(root)
    tokens, requests, unresolved = Counter(), Counter(), set()

    def add(source, identity, day, billable):
        employee = resolve(identity, day)
        if employee is None:
            unresolved.add((source, *identity))
        tokens[employee] += billable
        requests[employee] += 1

    if (root / "usage").exists():
        for record in gateway_records(root):
            day = dt.datetime.fromisoformat(record["timestamp"]).astimezone(dt.UTC).date()
            add("gateway", ("email", record["user_email"].lower()), day, gateway_tokens(record))
    if (root / "otel").exists():
        for day, attrs, _, _ in otel_records(root):
            if attrs["event.name"] in ("api_request", "api_error"):
                billable = sum(int(attrs.get(k, 0)) for k in COUNTS)
                success = attrs["event.name"] == "api_request"
                add("claude_code", otel_identity(attrs), day, billable * success)
    if (root / "litellm").exists():
        for day, row in litellm_rows(root):
            add("litellm", litellm_identity(row), day, litellm_tokens(row))
    if (root / "copilot").exists():
        for day, row in copilot_rows(root):
            identity = ("github_login", row["user_login"].lower())
            if resolve(identity, day) is None:
                unresolved.add(("copilot", *identity))
    return tokens, requests, unresolved


# --- tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def everything(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("all-sources")
    truth = generate_landing(out=str(out), sources=ALL, bad_rate=0.0, **SMALL)
    return out, truth


def test_default_output_is_unchanged_by_the_sources_option(tmp_path):
    plain, explicit = tmp_path / "plain", tmp_path / "explicit"
    args = ["--employees", "30", "--days", "4", "--seed", "3", "--no-progress"]
    assert main(["generate", "--out", str(plain), *args]) == 0
    assert main(["generate", "--out", str(explicit), *args, "--sources", "gateway"]) == 0
    assert files_of(plain) == files_of(explicit)
    folders = {path.split("/")[0] for path in files_of(plain)}
    assert folders == {"_truth.json", "usage", "deploys", "roster", "reference"}
    assert not (plain / "reference" / "identities.csv").exists()
    assert "sources" not in json.loads((plain / "_truth.json").read_text())["args"]
    # Copilot adds a tool, it takes no request away from the gateway log
    with_copilot = tmp_path / "with-copilot"
    assert (
        main(["generate", "--out", str(with_copilot), *args, "--sources", "copilot,gateway"]) == 0
    )
    usage = {k: v for k, v in files_of(plain).items() if k.startswith("usage/")}
    assert usage and usage == {
        k: v for k, v in files_of(with_copilot).items() if k.startswith("usage/")
    }
    assert (with_copilot / "copilot").is_dir()


def test_each_format_has_its_documented_shape(everything):
    root, truth = everything
    by_source = truth["usage"]["by_source"]

    events, skipped, string_counts = Counter(), 0, 0
    for day, attrs, resource, record in otel_records(root):
        assert resource["service.name"] == "claude-code"
        assert record["timeUnixNano"].isdigit() and record["body"]["stringValue"].startswith(
            "claude_code."
        )
        assert attrs["event.name"] in OTEL_EVENTS
        stamp = dt.datetime.fromisoformat(attrs["event.timestamp"])
        assert attrs["event.timestamp"].endswith("Z") and stamp.date() == day
        assert attrs["session.id"] and ("user.email" in attrs or "user.account_uuid" in attrs)
        events[attrs["event.name"]] += 1
        if attrs["event.name"] in ("user_prompt", "tool_result"):
            skipped += 1
        if attrs["event.name"] == "api_request":
            assert all(str(attrs[k]).isdigit() for k in COUNTS) and attrs["model"]
            string_counts += isinstance(attrs["input_tokens"], str)
        if attrs["event.name"] == "api_error":
            assert not any(k in attrs for k in COUNTS)
    cc = by_source["claude_code"]
    # the request id the warehouse derives (sources.md) is unique: nothing collapses
    derived = Counter(
        "cc-" + hashlib.sha256("|".join(str(part) for part in (
            attrs["session.id"], attrs["event.timestamp"], attrs["model"],
            *(attrs.get(k, "") for k in ("input_tokens", "output_tokens", "cache_read_tokens",
                                         "cache_creation_tokens")),
        )).encode()).hexdigest()[:32]
        for _, attrs, _, _ in otel_records(root)
        if attrs["event.name"] in ("api_request", "api_error")
    )  # fmt: skip
    assert len(derived) == sum(derived.values()) == cc["requests"]
    assert events["api_request"] == cc["success_requests"]
    assert events["api_error"] == cc["error_requests"]
    assert skipped == cc["skipped_records"] > 0
    assert 0 < string_counts < events["api_request"]  # both int encodings occur

    statuses, prefixed, as_string = Counter(), 0, 0
    for day, row in litellm_rows(root):
        assert set(row) >= LITELLM_KEYS
        start = dt.datetime.fromisoformat(row["startTime"])
        assert start.tzinfo is None and start.date() == day  # UTC without offset
        assert dt.datetime.fromisoformat(row["endTime"]) >= start
        assert isinstance(row["request_tags"], list)
        assert {"cache_read_input_tokens", "cache_creation_input_tokens"} <= set(
            row["metadata"]["usage_object"]
        )
        statuses[row["status"]] += 1
        prefixed += row["model"].startswith("anthropic/")
        as_string += row["_metadata_was_string"]
    ids = Counter(row["request_id"] for _, row in litellm_rows(root))
    assert len(ids) == sum(ids.values()) == by_source["litellm"]["requests"]
    assert statuses == {
        "success": by_source["litellm"]["success_requests"],
        "failure": by_source["litellm"]["error_requests"],
    }
    assert prefixed and as_string and as_string < sum(statuses.values())

    seen = set()
    for day, row in copilot_rows(root):
        assert set(row) >= COPILOT_KEYS and dt.date.fromisoformat(row["day"]) == day
        assert isinstance(row["used_agent"], bool) and isinstance(row["used_chat"], bool)
        key = (row["day"], row["user_login"].lower())
        assert key not in seen  # one row per user and day
        seen.add(key)
    assert len(seen) == by_source["copilot"]["user_days"] > 0
    assert identity_map(root)


def test_token_totals_per_developer_survive_any_mix_of_sources(tmp_path, everything):
    root, truth = everything
    gateway_only = tmp_path / "gateway-only"
    generate_landing(out=str(gateway_only), bad_rate=0.0, **SMALL)
    expected_tokens, expected_requests, strays = usage_by_developer(gateway_only)
    tokens, requests, unresolved = usage_by_developer(root)
    assert not strays and not unresolved  # a complete identity map resolves everyone
    assert tokens == expected_tokens and requests == expected_requests
    assert sum(tokens.values()) == truth["usage"]["expected"]["billable_tokens"]
    per_source = {
        tool: stats["billable_tokens"]
        for tool, stats in truth["usage"]["by_source"].items()
        if tool != "copilot"
    }
    assert sum(per_source.values()) == truth["usage"]["expected"]["billable_tokens"]
    assert all(per_source.values())  # every request source carried some of it
    # one LiteLLM key changes hands: the map names two people by it, so only a
    # point-in-time lookup attributes the new holder's requests
    handover = truth["identities"]["handover"]
    changed = dt.date.fromisoformat(handover["date"])
    assert any(
        day >= changed
        for day, row in litellm_rows(root)
        if row["api_key"] == handover["identity_value"] and not row["user"]
    )
    assert identity_map(root)[("litellm_api_key", handover["identity_value"])] == {
        handover["from_employee_id"],
        handover["to_employee_id"],
    }


def test_same_seed_same_bytes_other_seed_other_assignment(tmp_path, everything):
    root, _ = everything
    again = tmp_path / "again"
    generate_landing(out=str(again), sources=ALL, bad_rate=0.0, **SMALL)
    assert files_of(again) == files_of(root)
    other = tmp_path / "other"
    generate_landing(out=str(other), sources=ALL, bad_rate=0.0, **{**SMALL, "seed": 12})
    assert identity_map(other) != identity_map(root)


def test_planted_unmatched_identities_are_listed_exactly(tmp_path):
    out = tmp_path / "unmatched"
    truth = generate_landing(
        out=str(out), sources="otel,litellm,copilot", unmatched_identities=4, bad_rate=0.0,
        **SMALL,
    )  # fmt: skip
    _, _, unresolved = usage_by_developer(out)
    planted = {
        (item["source"], item["identity_type"], item["identity_value"])
        for item in truth["planted"]["unmatched_identities"]
    }
    assert len(planted) == 4
    assert unresolved == planted
    assert not (out / "usage").exists()  # no gateway among the sources


def test_bad_sources_exit_2_with_one_line(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "x"), "--sources", "gateway,smtp"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown source 'smtp'" in err
    out = tmp_path / "too-many"
    args = ["--employees", "10", "--days", "3", "--sources", "otel", "--unmatched-identities"]
    assert main(["generate", "--out", str(out), *args, "500"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unmatched_identities is 500" in err
    assert not out.exists()  # refused before anything was written
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    assert "--sources" in capsys.readouterr().out


def test_writer_functions_convert_the_conformance_gateway_lines():
    """The converters the equivalence test uses: every conformance gateway line
    becomes an OTel log record and a LiteLLM row that carry the same request."""
    lines = []
    for path in sorted((CONFORMANCE / "landing" / "usage").rglob("*.jsonl.gz")):
        for text in gzip.decompress(path.read_bytes()).decode().splitlines():
            try:
                record = json.loads(text)
                usage = record["usage"]
                if all(type(usage.get(k)) is int and usage[k] >= 0 for k in GATEWAY_COUNTS):
                    lines.append(record)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # the case's bad lines
    assert len(lines) > 20
    for record in lines:
        moment = dt.datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
        otel = gateway_record_to_otel_log_record(record, include_email=False, account_uuid="a-1")
        attrs = values(otel["attributes"])
        assert "user.email" not in attrs and attrs["user.account_uuid"] == "a-1"
        assert dt.datetime.fromisoformat(attrs["event.timestamp"]) == moment
        assert int(otel["timeUnixNano"]) == int(moment.timestamp() * 1000) * 1_000_000
        row = gateway_record_to_litellm_row(record, provider_prefix=True)
        assert row["model"] == "anthropic/" + record["model"]
        start = dt.datetime.fromisoformat(row["startTime"]).replace(tzinfo=dt.UTC)
        assert start == moment and row["request_id"] == record["request_id"]
        usage = record["usage"]
        if record["status"] == "success":
            assert attrs["event.name"] == "api_request"
            assert [attrs[k] for k in COUNTS] == [
                usage["input_tokens"], usage["output_tokens"],
                usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"],
            ]  # fmt: skip
            assert litellm_tokens(row) == gateway_tokens(record)
            assert row["prompt_tokens"] - usage["input_tokens"] == (
                usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]
            )
        else:
            assert attrs["event.name"] == "api_error" and row["status"] == "failure"
            assert not any(k in attrs for k in COUNTS) and litellm_tokens(row) == 0


def test_column_wise_otel_writer_writes_what_the_per_record_writer_gives(tmp_path):
    """The generator writes Claude Code events column by column; each api_request /
    api_error record must be what `gateway_record_to_otel_log_record` makes of the
    same canonical request."""
    import polars as pl

    from sample_data.otel_logs import export_logs_request
    from sample_data.population import build_population
    from sample_data.randomness import USAGE, stream
    from sample_data.source_day import TERMINALS, SourceDayContext, write_otel
    from sample_data.storage import Landing
    from sample_data.tool_plan import plan_sources, stable_uuid
    from sample_data.usage_lines import records_as_dicts
    from sample_data.usage_records import draw_day_requests
    from sample_data.workdays import Period

    seed, day = 5, 1
    period = Period(dt.date(2026, 1, 5), 3)
    population = build_population(seed, period, 60)
    plan = plan_sources(seed, population, ("otel",))
    state = population.state_on(day)
    records = draw_day_requests(stream(seed, USAGE, day), population, state, day, 20.0)
    table = pl.Series(population.emails)
    context = SourceDayContext(
        seed, day, period.date(day), plan, population, Landing(str(tmp_path)), table
    )
    write_otel(context, records, set())

    written = {}
    for _, attrs, resource, record in otel_records(tmp_path):
        if attrs["event.name"] in ("api_request", "api_error"):
            written[(attrs["user.id"], attrs["event.sequence"])] = record
            version = resource["service.version"]
            envelope = export_logs_request([], version=version, os_type=resource["os.type"])
            assert values(envelope["resourceLogs"][0]["resource"]["attributes"]) == resource
    assert len(written) == len(records) > 100

    canonical = records_as_dicts(records, period.date(day), table)
    sequence = Counter()
    for row in sorted(
        range(len(records)), key=lambda i: (records.person[i], records.ms[i], records.seq[i])
    ):
        person, record = int(records.person[row]), canonical[row]
        if record["session_id"]:
            record["session_id"] = stable_uuid(seed, "cc", record["session_id"])
        install = stable_uuid(seed, "install", population.employee_id[person])
        sequence[person] += 1
        expected = gateway_record_to_otel_log_record(
            record,
            include_email=bool(plan.otel_email[person]),
            account_uuid=plan.account_uuid[person],
            user_id=install,
            organization_id=plan.organization_id,
            terminal=TERMINALS[person % len(TERMINALS)],
            string_counts=bool(plan.otel_string_counts[person]),
            sequence=sequence[person],
        )
        actual = written[(install, sequence[person])]
        assert {k: v for k, v in actual.items() if k != "attributes"} == {
            k: v for k, v in expected.items() if k != "attributes"
        }
        got, want = values(actual["attributes"]), values(expected["attributes"])
        assert [a["key"] for a in actual["attributes"]] == [
            a["key"] for a in expected["attributes"]
        ]
        assert got.pop("cost_usd", 0) == pytest.approx(want.pop("cost_usd", 0), rel=1e-9, abs=1e-12)
        assert got == want


def test_column_wise_litellm_writer_writes_what_the_per_record_writer_gives(tmp_path):
    """LiteLLM rows are written column by column too; each must be what
    `gateway_record_to_litellm_row` makes of the same canonical request."""
    import polars as pl

    from sample_data.population import build_population
    from sample_data.randomness import USAGE, stream
    from sample_data.source_day import SourceDayContext, write_litellm
    from sample_data.storage import Landing
    from sample_data.tool_plan import LITELLM_KEY, LITELLM_USER, plan_sources
    from sample_data.usage_lines import records_as_dicts
    from sample_data.usage_records import draw_day_requests
    from sample_data.workdays import Period

    seed, day = 6, 2
    period = Period(dt.date(2026, 1, 5), 3)
    population = build_population(seed, period, 60)
    plan = plan_sources(seed, population, ("litellm",))
    records = draw_day_requests(
        stream(seed, USAGE, day), population, population.state_on(day), day, 20.0
    )
    table = pl.Series(population.emails)
    context = SourceDayContext(
        seed, day, period.date(day), plan, population, Landing(str(tmp_path)), table
    )
    write_litellm(context, records, set())
    written = {}
    for _, row in litellm_rows(tmp_path):
        as_string = row.pop("_metadata_was_string")
        written[(row["startTime"], row["prompt_tokens"], row["completion_tokens"])] = (
            row,
            as_string,
        )
    assert len(written) == len(records) > 100

    for row, record in enumerate(records_as_dicts(records, period.date(day), table)):
        person, seq = int(records.person[row]), int(records.seq[row])
        mode = int(plan.litellm_identity[person])
        user = {LITELLM_USER: plan.litellm_user[person], LITELLM_KEY: ""}.get(mode)
        tags = (
            ["env:prod"]
            if seq % 10 == 0
            else (["env:prod", record["client"]] if seq % 2 else [record["client"]])
        )
        expected = gateway_record_to_litellm_row(
            record,
            user=user,
            api_key=plan.api_key_on(person, day),
            provider_prefix=seq % 3 == 0,
            tags=tags,
        )
        actual, as_string = written[
            (expected["startTime"], expected["prompt_tokens"], expected["completion_tokens"])
        ]
        assert as_string == (person % 2 == 1)
        assert actual.pop("spend") == pytest.approx(expected.pop("spend"), rel=1e-9, abs=1e-12)
        assert list(actual) == list(expected)  # same columns, same order
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}", actual["request_id"]
        )
        actual.pop("request_id"), expected.pop("request_id")
        assert actual == expected


def _billed(root: Path) -> Counter:
    """Σ amount per (service_tier, token_type) over the vendor's cost-report pages."""
    from decimal import Decimal

    billed = Counter()
    for path in sorted((root / "reference" / "provider_costs" / "anthropic").glob("*.json")):
        for bucket in json.loads(path.read_text())["data"]:
            for result in bucket["results"]:
                if result["cost_type"] == "tokens":
                    billed[(result["service_tier"], result["token_type"])] += Decimal(
                        result["amount"]
                    )
    return billed


def test_the_vendor_bills_other_sources_standard_tier_and_5_minute_writes(tmp_path):
    """Neither format carries the batch tier or the 1-hour cache-write split, so the
    requests sent through them are billed without either, and the vendor's report
    agrees with what the warehouse can compute from them."""
    gateway, others = tmp_path / "gateway", tmp_path / "others"
    generate_landing(out=str(gateway), bad_rate=0.0, **SMALL)
    generate_landing(out=str(others), sources="otel,litellm", bad_rate=0.0, **SMALL)
    one_hour = "cache_creation.ephemeral_1h_input_tokens"
    assert _billed(gateway)[("standard", one_hour)] > 0  # the gateway's agents write 1-hour caches
    assert sum(v for (tier, _), v in _billed(gateway).items() if tier == "batch") > 0
    billed = _billed(others)
    assert billed and not any(
        amount for (tier, token_type), amount in billed.items()
        if tier == "batch" or token_type == one_hour
    )  # fmt: skip


def test_copilot_users_are_people_who_took_up_ai(everything):
    root, truth = everything
    logins = {}
    for _, row in copilot_rows(root):
        logins.setdefault(row["user_login"].lower(), 0)
        logins[row["user_login"].lower()] += row["user_initiated_interaction_count"]
    mapping = identity_map(root)
    employees = set().union(*(v for (kind, _), v in mapping.items() if kind == "github_login"))
    users = set().union(*(mapping[("github_login", login)] for login in logins))
    assert users <= employees <= set(truth["identities"]["copilot_user_ids"])
    assert users and not users & set(truth["never_user_ids"])
