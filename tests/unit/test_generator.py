"""The sample generator (`aiw generate`): determinism, the landing contract, the
planted traps (re-counted here from the files, not from the generator's code) and
the tokenmaxxing signal."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import json
import uuid
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import fsspec
import numpy as np
import pytest

from sample_data import generate_landing
from sample_data.deploys import DEPLOY_HEADER
from sample_data.roster import ROSTER_HEADER
from tests.generated_org import generated_landing

# one worker runs the module, so the module-wide `sample` and `clean` are made once
pytestmark = pytest.mark.xdist_group("generator")

USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
REQUIRED_STRINGS = ("request_id", "timestamp", "user_email", "client", "model", "status")
PRICE_HEADER = "model,token_type,usd_per_mtok,effective_from,effective_to"
CONTRACT_HEADER = "contract_id,pricing_model,seat_usd_per_month,effective_from,effective_to"
ENVIRONMENTS = {"production", "staging", "development"}
DEPLOY_STATUSES = {"succeeded", "failed", "cancelled", "in_progress"}
START = dt.date(2026, 1, 5)


# --- reading a landing zone back, independently of the generator ----------------------


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def partition_day(path: str) -> dt.date:
    return dt.date.fromisoformat(path.split("dt=")[1].split("/")[0])


def parse_time(text) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else None


def usage_line_reason(text: str, dt_day: dt.date) -> str | None:
    """Why the extraction must quarantine a usage line (None: it loads)."""
    try:
        record = json.loads(text)
    except ValueError:
        return "invalid_json"
    if any(record.get(key) is None for key in (*REQUIRED_STRINGS, "usage")):
        return "missing_field"
    if any(record["usage"].get(key) is None for key in USAGE_KEYS):
        return "missing_field"
    if not all(isinstance(record[key], str) for key in REQUIRED_STRINGS):
        return "wrong_type"
    counts = [record["usage"][key] for key in USAGE_KEYS]
    if not all(type(value) is int for value in counts):
        return "wrong_type"
    if min(counts) < 0:
        return "negative_count"
    moment = parse_time(record["timestamp"])
    if moment is None:
        return "invalid_timestamp"
    if (moment.date() - dt_day).days > 1:
        return "timestamp_after_delivery"
    return None


def deploy_row_reason(row: list[str], dt_day: dt.date) -> str | None:
    if len(row) != len(DEPLOY_HEADER):
        return "wrong_field_count"
    fields = dict(zip(DEPLOY_HEADER, row, strict=True))
    if not all(
        fields[key]
        for key in ("deployment_id", "change_id", "environment", "attempt", "started_at", "status")
    ):
        return "missing_field"
    if fields["environment"].lower() not in ENVIRONMENTS or fields["status"] not in DEPLOY_STATUSES:
        return "invalid_value"
    numbers = (fields["attempt"], fields["lines_added"], fields["lines_deleted"])
    if not all(value.lstrip("-").isdigit() for value in numbers):
        return "wrong_type"
    if min(int(value) for value in numbers) < 0:
        return "negative_count"
    stamps = [parse_time(fields["started_at"])]
    if fields["finished_at"]:
        stamps.append(parse_time(fields["finished_at"]))
    if None in stamps:
        return "invalid_timestamp"
    if any((moment.date() - dt_day).days > 1 for moment in stamps):
        return "timestamp_after_delivery"
    return None


class Landing:
    """Everything the tests need, parsed once per generated landing zone."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = files_of(root)
        self.truth = json.loads(self.files["_truth.json"])
        self.truncated = set(self.truth["usage"]["truncated_files"])
        self.resent = {pair["copy"] for pair in self.truth["usage"]["redelivered_files"]}
        self.resent |= {pair["copy"] for pair in self.truth["deploys"]["redelivered_files"]}
        self.roster = self._read_roster()
        self.usage_reasons: Counter = Counter()
        self.usage: list[tuple[str, dict]] = []  # (path, record) of every line that loads
        self._read_usage()
        self.deploy_reasons: Counter = Counter()
        self.deploys: list[tuple[str, dict]] = []
        self._read_deploys()

    def _read_roster(self) -> dict[dt.date, list[dict]]:
        snapshots = {}
        for path, content in self.files.items():
            if path.startswith("roster/"):
                reader = csv.DictReader(io.StringIO(content.decode()))
                assert reader.fieldnames == ROSTER_HEADER
                day = dt.date.fromisoformat(
                    path.removeprefix("roster/roster_").removesuffix(".csv")
                )
                snapshots[day] = list(reader)
        return dict(sorted(snapshots.items()))

    def _read_usage(self) -> None:
        for path, content in self.files.items():
            if not path.startswith("usage/") or path in self.truncated:
                continue
            assert path.endswith(".jsonl.gz")
            day = partition_day(path)
            for line in gzip.decompress(content).decode().splitlines():
                reason = usage_line_reason(line, day)
                if reason:
                    self.usage_reasons[reason] += 1
                else:
                    self.usage.append((path, json.loads(line)))

    def _read_deploys(self) -> None:
        for path, content in self.files.items():
            if not path.startswith("deploys/"):
                continue
            rows = list(csv.reader(io.StringIO(content.decode())))
            assert rows[0] == DEPLOY_HEADER
            for row in rows[1:]:
                reason = deploy_row_reason(row, partition_day(path))
                if reason:
                    self.deploy_reasons[reason] += 1
                else:
                    self.deploys.append((path, dict(zip(DEPLOY_HEADER, row, strict=True))))

    def roster_emails(self) -> dict[str, str]:
        return {
            row["work_email"].lower(): row["employee_id"]
            for rows in self.roster.values()
            for row in rows
        }

    def deduplicated_usage(self) -> dict[str, dict]:
        """request_id -> record, the copy in the last file in path order winning."""
        return {record["request_id"]: record for _, record in self.usage}

    def deduplicated_deploys(self) -> dict[str, dict]:
        return {row["deployment_id"]: row for _, row in self.deploys}

    def copies_by_id(self, rows: list[tuple[str, dict]], key: str) -> dict[str, list]:
        """`key` -> the (path, row) copies of `rows` in path order, files re-sent whole left out."""
        by_id = defaultdict(list)
        for path, row in rows:
            if path not in self.resent:
                by_id[row[key]].append((path, row))
        return by_id


def generated(out: Path, **size) -> Landing:
    """The landing zone generated at `out` from this module's START (`size` as
    tests.generated_org.generated_landing takes it)."""
    generated_landing(out, start=START, **size)
    return Landing(out)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Landing:
    return generated(tmp_path_factory.mktemp("sample") / "landing", employees=300, days=56,
                     seed=7, requests_per_dev_day=12.0, bad_rate=0.01)  # fmt: skip


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Landing:
    return generated(tmp_path_factory.mktemp("clean") / "landing", employees=90, days=21,
                     seed=3, requests_per_dev_day=8.0, bad_rate=0.0)  # fmt: skip


# --- determinism ----------------------------------------------------------------------


def small_run(out: Path, seed: int = 11, workers: int | None = None) -> dict[str, bytes]:
    generated_landing(out, start=START, employees=60, days=9, seed=seed,
                      requests_per_dev_day=6.0, bad_rate=0.05, workers=workers)  # fmt: skip
    return files_of(out)


def test_same_arguments_give_byte_identical_files_even_across_processes(tmp_path):
    in_process = small_run(tmp_path / "a", workers=1)
    in_pool = small_run(tmp_path / "b", workers=2)
    assert list(in_process) == list(in_pool)
    assert [p for p in in_process if in_process[p] != in_pool[p]] == []


def test_another_seed_gives_other_data(tmp_path):
    one, other = small_run(tmp_path / "a", seed=11), small_run(tmp_path / "b", seed=12)
    common = set(one) & set(other)
    assert one.keys() != other.keys() or any(one[p] != other[p] for p in common)
    assert one["roster/roster_2026-01-05.csv"] != other["roster/roster_2026-01-05.csv"]


def test_gzip_members_carry_no_clock_or_name(sample):
    path = next(p for p in sample.files if p.endswith("gw-0.jsonl.gz"))
    header = sample.files[path][:10]
    assert header[3] == 0  # no FNAME or other optional fields
    assert header[4:8] == b"\0\0\0\0"  # mtime 0


# --- the landing contract ---------------------------------------------------------------


def test_loadable_usage_lines_have_contract_types(sample):
    assert len(sample.usage) == sample.truth["valid_usage_lines"]
    clients, tiers = Counter(), Counter()
    for _path, record in sample.usage:
        assert record["agent_id"] is None or isinstance(record["agent_id"], str)
        assert record["session_id"] is None or isinstance(record["session_id"], str)
        assert record["status"] in ("success", "error")
        assert record["service_tier"] in ("standard", "batch")
        assert record["latency_ms"] is None or (
            type(record["latency_ms"]) is int and record["latency_ms"] >= 0
        )
        clients[record["client"]] += 1
        tiers[record["service_tier"]] += 1
    assert set(clients) == {"ide_assistant", "chat", "cli_agent", "meshclaw"}
    assert tiers["batch"] > 0
    statuses = Counter(record["status"] for _, record in sample.usage)
    assert statuses["error"] > 0
    models = Counter(record["model"] for _, record in sample.usage)
    assert {"claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"} <= set(models)


def test_on_time_events_fall_on_their_partition_day(clean):
    for path, record in clean.usage:
        assert parse_time(record["timestamp"]).date() == partition_day(path)


def test_roster_snapshots_and_missing_days(sample):
    dates = [d.isoformat() for d in sample.roster]
    assert dates == sample.truth["roster"]["snapshot_dates"]
    assert dates[0] == START.isoformat()
    weekend = [d for d in sample.roster if d.weekday() >= 5]
    assert weekend == []
    assert dt.date(2026, 1, 19) not in sample.roster  # a public holiday
    missing = sample.truth["roster"]["missing_workdays"]
    assert missing and not set(missing) & set(dates)
    statuses = Counter(row["employment_status"] for row in sample.roster[max(sample.roster)])
    assert statuses["terminated"] and statuses["active"]
    assert any(
        row["employment_status"] == "leave" for rows in sample.roster.values() for row in rows
    )
    families = {row["job_family"] for row in sample.roster[START]}
    assert families == {"software_engineer", "engineering_manager", "product_manager",
                        "data_scientist", "designer", "other"}  # fmt: skip


def test_people_move_and_change_email_but_addresses_are_never_reused(sample):
    teams, emails, owner = defaultdict(set), defaultdict(set), {}
    for rows in sample.roster.values():
        for row in rows:
            teams[row["employee_id"]].add(row["team_id"])
            emails[row["employee_id"]].add(row["work_email"])
            assert (
                owner.setdefault(row["work_email"].lower(), row["employee_id"])
                == row["employee_id"]
            )
    assert any(len(t) > 1 for t in teams.values())
    assert any(len(e) > 1 for e in emails.values())


def test_reference_tables(sample):
    prices = list(csv.DictReader(io.StringIO(sample.files["reference/price_book.csv"].decode())))
    contracts = list(csv.DictReader(io.StringIO(sample.files["reference/contracts.csv"].decode())))
    assert sample.files["reference/price_book.csv"].decode().splitlines()[0] == PRICE_HEADER
    assert sample.files["reference/contracts.csv"].decode().splitlines()[0] == CONTRACT_HEADER
    for day in (START + dt.timedelta(days=i) for i in range(56)):
        in_force = [c for c in contracts
                    if dt.date.fromisoformat(c["effective_from"]) <= day
                    and (not c["effective_to"] or day < dt.date.fromisoformat(c["effective_to"]))]  # fmt: skip
        assert len(in_force) == 1, day
    assert [c["pricing_model"] for c in contracts] == ["flat_rate", "per_token"]
    rows_per_key = Counter((p["model"], p["token_type"]) for p in prices)
    assert max(rows_per_key.values()) == 2  # a price changed mid-period
    unpriced = sample.truth["reference"]["unpriced_model"]["model"]
    priced_types = {p["token_type"] for p in prices if p["model"] == unpriced}
    assert priced_types and priced_types != {"input", "output", "cache_write", "cache_read"}
    cached_unpriced = [
        r
        for _, r in sample.usage
        if r["model"] == unpriced and r["usage"]["cache_read_input_tokens"]
    ]
    assert cached_unpriced


# --- planted traps, re-counted from the files ----------------------------------------------


def test_usage_quarantine_counts_match_truth(sample):
    expected = sample.truth["quarantine"]["usage"]
    found = dict(sample.usage_reasons)
    found["truncated_gzip"] = len(sample.truncated)
    assert {k: v for k, v in expected.items() if v} == found
    assert all(expected[r] > 0 for r in ("invalid_json", "missing_field", "wrong_type", "negative_count",
                                        "invalid_timestamp", "timestamp_after_delivery", "truncated_gzip"))  # fmt: skip


def test_type_drift_hides_deep_in_files(sample):
    depths = []
    for path in sample.files:
        if path.startswith("usage/") and path not in sample.truncated:
            lines = gzip.decompress(sample.files[path]).decode().splitlines()
            day = partition_day(path)
            depths += [
                i / len(lines)
                for i, line in enumerate(lines)
                if usage_line_reason(line, day) == "wrong_type"
            ]
    assert depths and min(depths) >= 0.7


def test_truncated_and_redelivered_files(sample):
    for path in sample.truncated:
        with pytest.raises((EOFError, zlib.error, gzip.BadGzipFile)):
            gzip.decompress(sample.files[path])
    pairs = (
        sample.truth["usage"]["redelivered_files"] + sample.truth["deploys"]["redelivered_files"]
    )
    assert pairs
    for pair in pairs:
        first, copy = sample.files[pair["first"]], sample.files[pair["copy"]]
        assert pair["first"] < pair["copy"]
        if pair["first"].endswith(".gz"):
            first, copy = gzip.decompress(first), gzip.decompress(copy)
        assert first == copy


def test_usage_duplicates_late_lines_and_strangers_match_truth(sample):
    usage = sample.truth["usage"]
    by_id = sample.copies_by_id(sample.usage, "request_id")
    identical = conflicting = 0
    for copies in by_id.values():
        if len(copies) < 2:
            continue
        original, *later = copies
        assert all(path > original[0] for path, _ in later)
        for _, record in later:
            assert (
                parse_time(record["timestamp"]).date()
                == parse_time(original[1]["timestamp"]).date()
            )
            identical += record == original[1]
            conflicting += record != original[1]
    assert (identical, conflicting) == (
        usage["duplicate_identical_lines"],
        usage["duplicate_conflicting_lines"],
    )
    assert identical and conflicting
    assert len(sample.deduplicated_usage()) == usage["distinct_request_ids"]
    late = sum(1 for path, r in sample.usage
               if "/retry-" not in path and parse_time(r["timestamp"]).date() < partition_day(path))  # fmt: skip
    assert late == usage["late_lines"] > 0
    known = sample.roster_emails()
    strangers = [r for _, r in sample.usage if r["user_email"].strip().lower() not in known]
    assert len(strangers) == usage["unknown_email_lines"] > 0


def test_expected_usage_totals_after_deduplication(sample):
    records = sample.deduplicated_usage().values()
    success = [r for r in records if r["status"] == "success"]
    expected = sample.truth["usage"]["expected"]
    assert len(success) == expected["success_requests"]
    assert sum(_billable(r) for r in success) == expected["billable_tokens"]


def test_deploy_quarantine_and_duplicates_match_truth(sample):
    deploys = sample.truth["deploys"]
    expected = {k: v for k, v in sample.truth["quarantine"]["deploys"].items() if v}
    assert dict(sample.deploy_reasons) == expected
    assert {"wrong_field_count", "invalid_value"} <= set(expected)
    by_id = sample.copies_by_id(sample.deploys, "deployment_id")
    identical = conflicting = 0
    for copies in by_id.values():
        for (path, row), (later_path, later) in itertools.pairwise(copies):
            assert later_path > path
            identical += row == later
            conflicting += row != later
            if row != later:
                assert (row["status"], later["status"]) == ("in_progress", "succeeded")
    assert (identical, conflicting) == (
        deploys["duplicate_identical_rows"],
        deploys["duplicate_conflicting_rows"],
    )
    authors = {row["author_email"] for _, row in sample.deploys}
    assert "release-bot@ci.example" in authors or "dependabot@ci.example" in authors


def delivered_changes(landing: Landing) -> dict[str, dict]:
    """change_id -> delivery facts, following metrics.md to the letter."""
    rows = landing.deduplicated_deploys().values()
    production = [r for r in rows if r["environment"].lower() == "production"]
    ids_of_change = defaultdict(set)
    for row in production:
        ids_of_change[row["change_id"]].add(row["deployment_id"])
    rollbacks = defaultdict(list)
    for row in production:
        if row["status"] == "succeeded" and row["rollback_of"]:
            rollbacks[row["rollback_of"]].append(parse_time(row["finished_at"]))
    candidates = defaultdict(list)
    for row in production:
        if row["status"] == "succeeded" and not row["rollback_of"]:
            candidates[row["change_id"]].append(
                (parse_time(row["finished_at"]), row["deployment_id"], row)
            )
    changes = {}
    for change, options in candidates.items():
        delivered_at, _, row = min(options, key=lambda option: option[:2])
        rolled = [t for d in ids_of_change[change] for t in rollbacks[d]
                  if delivered_at <= t <= delivered_at + dt.timedelta(hours=168)]  # fmt: skip
        changes[change] = {
            "at": delivered_at,
            "author": row["author_email"].strip().lower(),
            "rolled_back": bool(rolled),
        }
    return changes


def test_deliveries_and_rollbacks_match_truth(sample):
    changes = delivered_changes(sample)
    expected = sample.truth["deploys"]["expected"]
    assert len(changes) == expected["delivered_changes"]
    assert sum(not c["rolled_back"] for c in changes.values()) == expected["normalized_deployments"]
    assert sample.truth["deploys"]["rollbacks_within_7d"] > 0
    assert sample.truth["deploys"]["rollbacks_after_7d"] > 0
    retries = [row for _, row in sample.deploys if row["attempt"] == "2"]
    assert retries
    email_owner = sample.roster_emails()

    def ai_share(employees: set[str]) -> float:
        rows = [row["ai_assisted"] == "true" for _, row in sample.deploys
                if email_owner.get(row["author_email"].lower()) in employees]  # fmt: skip
        return sum(rows) / len(rows)

    never_users, heavy = set(sample.truth["never_user_ids"]), set(sample.truth["heavy_user_ids"])
    assert ai_share(never_users) < 0.3 < 0.7 < ai_share(heavy)


def test_bad_rate_zero_plants_no_trap(clean):
    truth = clean.truth
    assert all(v == 0 for source in truth["quarantine"].values() for v in source.values())
    assert not clean.usage_reasons and not clean.deploy_reasons
    assert truth["usage"]["truncated_files"] == [] and not clean.resent
    assert len(clean.usage) == len(clean.deduplicated_usage()) == truth["valid_usage_lines"]
    assert len(clean.deploys) == len(clean.deduplicated_deploys())
    known = clean.roster_emails()
    assert all(r["user_email"].lower() in known for _, r in clean.usage)
    assert truth["roster"]["missing_workdays"] == []
    assert not [p for p in clean.files if "late" in p or "retry" in p or "resent" in p]


# --- the tokenmaxxing signal ----------------------------------------------------------------


def developer_signals(landing: Landing):
    """Per metrics.md: per day and developer, 28-day tokens and normalized
    deployments, and the suspect flag against org peers."""
    roster = landing.roster
    first = min(roster)
    records = landing.deduplicated_usage().values()
    last = max(parse_time(r["timestamp"]).date() for r in records)
    n_days = (last - first).days + 1
    email_owner = landing.roster_emails()
    people = sorted({row["employee_id"] for rows in roster.values() for row in rows})
    index = {p: i for i, p in enumerate(people)}
    tokens = np.zeros((len(people), n_days))
    for r in records:
        owner = email_owner.get(r["user_email"].strip().lower())
        day = (parse_time(r["timestamp"]).date() - first).days
        if owner and r["status"] == "success" and 0 <= day < n_days:
            tokens[index[owner], day] += _billable(r)
    shipped = np.zeros_like(tokens)
    for change in delivered_changes(landing).values():
        owner = email_owner.get(change["author"])
        day = (change["at"].date() - first).days
        if owner and not change["rolled_back"] and 0 <= day < n_days:
            shipped[index[owner], day] += 1

    def window(matrix):
        cumulative = np.cumsum(matrix, axis=1)
        shifted = np.pad(cumulative, ((0, 0), (28, 0)))[:, :n_days]
        return cumulative - shifted

    tokens_28d, shipped_28d = window(tokens), window(shipped)
    snapshot_days = sorted(roster)
    signals = defaultdict(list)  # employee -> [(day, tokens / peer median, is_suspect)]
    for d in range(n_days):
        day = first + dt.timedelta(days=d)
        snapshot = roster[max(s for s in snapshot_days if s <= day)]
        devs = [(index[r["employee_id"]], r["org_name"]) for r in snapshot
                if r["job_family"] == "software_engineer" and r["employment_status"] == "active"]  # fmt: skip
        for org in {o for _, o in devs}:
            members = [i for i, o in devs if o == org]
            peers = [i for i in members if tokens_28d[i, d] > 0]
            if not peers:
                continue
            median_tokens = np.median(tokens_28d[peers, d])
            median_shipped = np.median(shipped_28d[peers, d])
            for i in members:
                flag = (
                    tokens_28d[i, d] >= 10 * median_tokens and shipped_28d[i, d] <= median_shipped
                )
                signals[people[i]].append((day, tokens_28d[i, d] / median_tokens, bool(flag)))
    return signals


def test_tokenmaxxers_are_suspects_and_heavy_users_are_not(sample):
    signals = developer_signals(sample)
    truth = sample.truth
    assert truth["tokenmaxxer_ids"] and truth["heavy_user_ids"]
    for employee in truth["tokenmaxxer_ids"]:
        loop_start = dt.date.fromisoformat(truth["tokenmaxxer_loop_start_dates"][employee])
        flags = [
            flag for day, _, flag in signals[employee] if day >= loop_start + dt.timedelta(days=7)
        ]
        assert sum(flags) >= 0.9 * len(flags), employee
    # the first days' windows are too short to mean anything: a few random flags there
    settled = START + dt.timedelta(days=7)
    heavy = [
        (ratio, flag)
        for e in truth["heavy_user_ids"]
        for day, ratio, flag in signals[e]
        if day >= settled
    ]
    assert any(ratio >= 10 for ratio, _ in heavy), (
        "heavy users should burn 10x tokens, and ship more"
    )
    assert not any(flag for _, flag in heavy)
    # the subtle tokenmaxxers planted above the 10x line are meant to be flagged
    above = set(truth["tokenmaxxer_ids"]) | set(truth["planted"]["subtle_tokenmaxxer_above_ids"])
    others = set(signals) - above
    assert not [e for e in others for day, _, flag in signals[e] if flag and day >= settled]


def test_never_users_never_use_ai(sample):
    email_owner = sample.roster_emails()
    users = {email_owner.get(r["user_email"].lower()) for _, r in sample.usage}
    assert sample.truth["never_user_ids"] and not users & set(sample.truth["never_user_ids"])


# --- arguments and destinations -------------------------------------------------------------


def test_writes_to_an_fsspec_memory_filesystem():
    url = f"memory://aiw-generator-{uuid.uuid4().hex}"
    fs, root = fsspec.core.url_to_fs(url)
    try:
        truth = generate_landing(out=url, employees=20, days=3, seed=1, requests_per_dev_day=3.0,
                                 bad_rate=0.02, progress=False)  # fmt: skip
        written = fs.find(root)
        assert any(p.endswith("_truth.json") for p in written)
        assert any("/usage/dt=2026-01-05/" in p for p in written)
        assert any("/roster/roster_2026-01-05.csv" in p for p in written)
        assert json.loads(fs.cat(f"{root}/_truth.json"))["args"] == truth["args"]
    finally:
        fs.rm(root, recursive=True)


@pytest.mark.parametrize(
    "override",
    [
        {"employees": 0},
        {"days": 0},
        {"bad_rate": -0.1},
        {"bad_rate": 0.6},
        {"requests_per_dev_day": 0},
        {"seed": -1},
        {"start": "2026-01-05"},
    ],
)
def test_bad_arguments_raise_one_line_value_errors(tmp_path, override):
    with pytest.raises(ValueError) as error:
        generate_landing(out=str(tmp_path / "x"), progress=False, **override)
    assert "\n" not in str(error.value)


def test_replaces_its_own_output_but_refuses_foreign_folders(tmp_path):
    out = tmp_path / "landing"
    small_run(out)
    (out / "usage" / "dt=2030-01-01").mkdir()
    small_run(out)
    assert not (out / "usage" / "dt=2030-01-01").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(ValueError):
        small_run(foreign)
    assert (foreign / "keep.txt").read_text() == "mine"


def _billable(record: dict) -> int:
    """The four token counts (usage.cache_creation splits one of them)."""
    return sum(record["usage"][key] for key in USAGE_KEYS)
