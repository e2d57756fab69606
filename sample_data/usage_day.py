"""One event day of AI-gateway logs: draw, plant traps, write files.

A day depends only on (seed, day, population), so days run in any process and
any order and still give the same bytes. Each day writes only files named after
its own date, including the late, retry and re-sent files it drops into later
partitions, so parallel days never touch the same file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from sample_data import organisation as cfg
from sample_data import source_day
from sample_data.plan import UsageDayPlan
from sample_data.population import Population
from sample_data.provider_costs import invoice_tokens
from sample_data.randomness import USAGE, USAGE_TRAPS, stream
from sample_data.storage import Landing, gzip_bytes, truncate_gzip
from sample_data.tool_plan import GATEWAY, LITELLM, OTEL, TOOL_NAMES, SourcePlan
from sample_data.usage_lines import (
    DEFECTS,
    record_as_dict,
    render_clean_lines,
    splice_lines,
)
from sample_data.usage_records import (
    NORMAL,
    STANDARD,
    SUCCESS,
    Records,
    draw_day_requests,
    draw_requests,
)
from sample_data.workdays import Period

UNKNOWN_EMAILS = tuple(f"guest{k}@partner.example" for k in range(20)) + tuple(
    f"contractor.{k}@vendor.example" for k in range(20)
)
REDELIVERED_SHARD = 0


@dataclass(frozen=True)
class UsageRun:
    seed: int
    period: Period
    requests_per_dev_day: float
    landing: Landing
    sources: SourcePlan | None = None  # None: every request through the gateway log


@dataclass
class _Context:
    run: UsageRun
    population: Population
    email_table: pl.Series  # lower-case roster addresses, display spellings, strangers

    @property
    def unknown_email_base(self) -> int:
        return 2 * len(self.population.emails)


_CONTEXT: _Context | None = None


def set_up(run: UsageRun, population: Population) -> None:
    """Per-process set-up (pool initializer, or called once in-process)."""
    global _CONTEXT
    table = pl.Series(population.emails + population.display_emails + list(UNKNOWN_EMAILS))
    _CONTEXT = _Context(run, population, table)


@dataclass
class UsageDayReport:
    day: int
    files: int = 0
    lines_written: int = 0
    valid_lines: int = 0
    distinct_request_ids: int = 0
    late_lines: int = 0
    late_files: int = 0
    duplicate_identical_lines: int = 0
    duplicate_conflicting_lines: int = 0
    unknown_email_lines: int = 0
    unknown_email_requests: int = 0
    quarantined: Counter = field(default_factory=Counter)
    truncated_files: list[str] = field(default_factory=list)
    redelivered_files: list[dict] = field(default_factory=list)
    requests: int = 0
    success_requests: int = 0
    error_requests: int = 0
    billable_tokens: int = 0
    # what the vendor bills for the day: {(model, tier): [token sums by type]}
    invoice_tokens: dict = field(default_factory=dict)
    # per tool (sources.TOOL_NAMES values): requests, tokens, files, records…
    by_source: dict = field(default_factory=dict)
    # (identity_type, person) of the non-email identities the day's data used
    seen_identities: set = field(default_factory=set)


@dataclass
class _File:
    path: str
    rows: list[np.ndarray] = field(default_factory=list)  # indexes into the day's records
    bad_lines: list[tuple[float, str, str]] = field(default_factory=list)  # depth, reason, text
    late: bool = False


def generate_usage_day(plan: UsageDayPlan) -> UsageDayReport:
    ctx = _CONTEXT
    assert ctx is not None, "set_up() first"
    return _Day(ctx, plan).generate()


class _Day:
    def __init__(self, ctx: _Context, plan: UsageDayPlan) -> None:
        self.ctx, self.plan, self.day = ctx, plan, plan.day
        self.period = ctx.run.period
        self.date = self.period.date(self.day)
        self.population = ctx.population
        self.state = self.population.state_on(self.day)
        self.traps = stream(ctx.run.seed, USAGE_TRAPS, self.day)
        self.report = UsageDayReport(day=self.day)
        self.files: dict[str, _File] = {}
        self.bad_reasons: list[str] = []
        self.copy_offsets = np.zeros(0, np.int64)
        self.truncated_rows = np.zeros(0, np.int64)
        self.resent_rows = np.zeros(0, np.int64)
        self.truncated_shard: int | None = None

    # --- drawing -------------------------------------------------------------------

    def generate(self) -> UsageDayReport:
        rng = stream(self.ctx.run.seed, USAGE, self.day)
        clean = draw_day_requests(
            rng, self.population, self.state, self.day, self.ctx.run.requests_per_dev_day
        )
        strangers = self._unknown_email_requests(first_seq=len(clean))
        pool = Records.concat([clean, strangers])
        next_seq = len(pool)
        pool, others, other_source = self._split_by_source(pool)
        self._deliver_some_late(pool)
        self.truncated_shard = self._shard_to_truncate(pool)
        bad = self._bad_requests(first_seq=next_seq)
        copies, originals, conflicting = self._duplicates(pool)
        self._assign_pool_to_files(pool)
        self._assign_bad_to_files(bad)
        self._assign_copies_to_files(copies, offset=len(pool))
        self._write_files(Records.concat([pool, copies]))
        self._account(pool, originals, copies, conflicting)
        if self.ctx.run.sources is not None:
            self._write_other_sources(others, other_source)
        return self.report

    # --- other sources (sources.py) ------------------------------------------------

    @property
    def _gateway_on(self) -> bool:
        plan = self.ctx.run.sources
        return plan is None or GATEWAY in plan.request_sources

    def _split_by_source(self, pool: Records):
        """The gateway's share of the day's requests, and the rest with their source.
        Requests sent through OTel or LiteLLM are standard tier (sources.md)."""
        plan = self.ctx.run.sources
        if plan is None or not plan.splits_requests:
            return pool, pool.take(np.zeros(0, np.int64)), np.zeros(0, np.int8)
        source = plan.source_of(pool.person, pool.email)
        others = pool.take(np.flatnonzero(source != GATEWAY))
        others.tier[:] = STANDARD
        return pool.take(np.flatnonzero(source == GATEWAY)), others, source[source != GATEWAY]

    def _write_other_sources(self, others: Records, other_source: np.ndarray) -> None:
        plan, r = self.ctx.run.sources, self.report
        ctx = source_day.SourceDayContext(
            seed=self.ctx.run.seed,
            day=self.day,
            date=self.date,
            plan=plan,
            population=self.population,
            landing=self.ctx.run.landing,
            email_table=self.ctx.email_table,
        )
        r.by_source[TOOL_NAMES["gateway"]] = Counter(
            requests=r.requests,
            success_requests=r.success_requests,
            error_requests=r.error_requests,
            billable_tokens=r.billable_tokens,
            unknown_email_requests=r.unknown_email_requests,
            files=r.files,
            lines=r.lines_written,
        )
        writers = {
            OTEL: ("otel", source_day.write_otel),
            LITELLM: ("litellm", source_day.write_litellm),
        }
        for code, (name, write) in writers.items():
            if code not in plan.request_sources:
                continue
            records = others.take(np.flatnonzero(other_source == code))
            stats = write(ctx, records, r.seen_identities)
            r.by_source[TOOL_NAMES[name]] = stats
            r.requests += stats["requests"]
            r.success_requests += stats["success_requests"]
            r.error_requests += stats["error_requests"]
            r.billable_tokens += stats["billable_tokens"]
        if len(others):
            # Claude Code events and LiteLLM rows carry one cache-write count, priced
            # as 5-minute writes; the requests sent through them write only those,
            # so the vendor's report and the warehouse's estimate agree
            extra = invoice_tokens(others, others.status == SUCCESS, others.tokens, one_hour=False)
            for key, sums in extra.items():
                known = r.invoice_tokens.setdefault(key, [0] * len(sums))
                r.invoice_tokens[key] = [a + b for a, b in zip(known, sums, strict=True)]
        if "copilot" in plan.sources:
            stats = source_day.write_copilot(ctx, self.state, r.seen_identities)
            r.by_source[TOOL_NAMES["copilot"]] = stats

    def _template_requests(self, count: int, persons_from: np.ndarray) -> Records:
        """Requests drawn from the trap stream, for extra lines that must not shift
        the clean data."""
        if count == 0 or len(persons_from) == 0:
            return draw_requests(self.traps, self.population, self.state, self.day,
                                 np.zeros(0, np.int64), np.zeros(0, np.int8))  # fmt: skip
        persons = persons_from[self.traps.integers(0, len(persons_from), count)]
        kinds = np.full(count, NORMAL, np.int8)
        return draw_requests(self.traps, self.population, self.state, self.day, persons, kinds)

    def _users_today(self) -> np.ndarray:
        users = np.flatnonzero(self.state.active & self.population.adopted_on(self.day))
        if len(users):
            return users
        active = np.flatnonzero(self.state.active)
        return active if len(active) else np.flatnonzero(self.population.hire_day < 0)

    def _unknown_email_requests(self, first_seq: int) -> Records:
        share = cfg.UNKNOWN_EMAIL_FACTOR * self.plan.bad_rate
        count = int(self.traps.binomial(first_seq, min(1.0, share))) if first_seq else 0
        count += int(self.plan.force_unknown_email)
        records = self._template_requests(count, self._users_today())
        records.person[:] = -1
        records.email = self.ctx.unknown_email_base + self.traps.integers(
            0, len(UNKNOWN_EMAILS), len(records)
        )
        records.seq = first_seq + np.arange(len(records), dtype=np.int64)
        return records

    def _deliver_some_late(self, pool: Records) -> None:
        room = self.period.days - 1 - self.day
        if room <= 0 or self.plan.late_share <= 0:
            return
        late = self.traps.random(len(pool)) < self.plan.late_share
        lag = self.traps.integers(1, cfg.MAX_LATE_DAYS + 1, len(pool))
        pool.lag = np.where(late, np.minimum(lag, room), 0).astype(np.int8)

    def _bad_reasons(self, n_clean: int) -> list[str]:
        if not self._gateway_on:
            return []  # bad gateway lines need a gateway log
        reasons = []
        for reason, share in cfg.USAGE_BAD_LINE_SHARES.items():
            count = (
                int(self.traps.binomial(n_clean, min(1.0, share * self.plan.bad_rate)))
                if n_clean
                else 0
            )
            count += self.plan.forced_bad_reasons.count(reason)
            reasons.extend([reason] * count)
        return reasons

    def _bad_requests(self, first_seq: int) -> Records:
        self.bad_reasons = self._bad_reasons(first_seq)
        records = self._template_requests(len(self.bad_reasons), self._users_today())
        records.seq = first_seq + np.arange(len(records), dtype=np.int64)
        return records

    def _shard_to_truncate(self, pool: Records) -> int | None:
        """The busiest on-time gateway file other than the re-sent one, so a
        planned truncation happens even on a quiet day."""
        if not self.plan.truncate:
            return None
        on_time = np.bincount(pool.shard[pool.lag == 0], minlength=cfg.GATEWAY_SHARDS)
        if self.plan.redeliver_offset is not None:
            on_time[REDELIVERED_SHARD] = -1
        busiest = int(np.argmax(on_time))
        return busiest if on_time[busiest] > 0 else None

    def _excluded_shards(self) -> set[int]:
        """Shards whose on-time file must hold only clean, unduplicated lines
        because it gets re-sent or truncated today."""
        excluded = set()
        if self.plan.redeliver_offset is not None:
            excluded.add(REDELIVERED_SHARD)
        if self.truncated_shard is not None:
            excluded.add(self.truncated_shard)
        return excluded

    def _duplicates(self, pool: Records):
        """Copies of on-time requests sent again by a gateway retry, some with
        corrected counts. Copies go to a retry file that sorts after the original."""
        eligible = np.flatnonzero((pool.lag == 0) & (pool.person >= 0)
                                  & ~np.isin(pool.shard, list(self._excluded_shards())))  # fmt: skip
        rate = self.plan.bad_rate
        n_identical = int(
            self.traps.binomial(len(eligible), min(1.0, cfg.DUPLICATE_IDENTICAL_FACTOR * rate))
        )
        n_conflicting = int(
            self.traps.binomial(len(eligible), min(1.0, cfg.DUPLICATE_CONFLICTING_FACTOR * rate))
        )
        n_copies = min(len(eligible), n_identical + n_conflicting)
        originals = (
            np.sort(self.traps.choice(eligible, n_copies, replace=False))
            if n_copies
            else eligible[:0]
        )
        conflicting = self.traps.random(n_copies) < (n_conflicting / max(1, n_copies))
        copies = pool.take(originals)
        copies.tokens = copies.tokens.copy()
        corrected = copies.tokens[conflicting]
        corrected[:, 0] += 1 + corrected[:, 0] // 10
        copies.tokens[conflicting] = corrected
        copies.latency = np.where(
            conflicting & (copies.latency >= 0), copies.latency + 7, copies.latency
        )
        self.copy_offsets = (
            self.traps.integers(0, 2, n_copies)
            if self.day + 1 < self.period.days
            else np.zeros(n_copies, int)
        )
        return copies, originals, conflicting

    # --- files ---------------------------------------------------------------------

    def _partition(self, offset: int) -> str:
        return f"usage/dt={self.period.date(self.day + offset).isoformat()}"

    def _file(self, path: str, late: bool = False) -> _File:
        if path not in self.files:
            self.files[path] = _File(path, late=late)
        return self.files[path]

    def _gateway_file(self, shard: int, lag: int) -> _File:
        stamp = f"{self.date:%Y%m%d}"
        # late events of all gateways are sent together by a nightly backfill job
        name = f"gw-{shard}.jsonl.gz" if lag == 0 else f"gw-late-{stamp}.jsonl.gz"
        return self._file(f"{self._partition(lag)}/{name}", late=lag > 0)

    def _assign_pool_to_files(self, pool: Records) -> None:
        key = pool.shard.astype(np.int64) * 16 + pool.lag
        for k in np.unique(key).tolist():
            rows = np.flatnonzero(key == k)
            self._gateway_file(k // 16, k % 16).rows.append(rows)

    def _assign_bad_to_files(self, bad: Records) -> None:
        allowed = [s for s in range(cfg.GATEWAY_SHARDS) if s not in self._excluded_shards()]
        for i, reason in enumerate(self.bad_reasons):
            shard = allowed[int(self.traps.integers(len(allowed)))]
            # type drift hides deep in a file, where schema inference has stopped looking
            low = cfg.DEEP_IN_FILE if reason == "wrong_type" else 0.0
            depth = float(self.traps.uniform(low, 1.0))
            bad.shard[i] = shard
            record = record_as_dict(bad, i, self.date, self.ctx.email_table)
            # the file's own date is the delivery date the defect is relative to
            text = DEFECTS[reason](self.traps, record, self.date)
            self._gateway_file(shard, 0).bad_lines.append((depth, reason, text))

    def _assign_copies_to_files(self, copies: Records, offset: int) -> None:
        stamp = f"{self.date:%Y%m%d}"
        for lag in (0, 1):
            rows = np.flatnonzero(self.copy_offsets == lag)
            if len(rows):
                path = f"{self._partition(lag)}/retry-{stamp}.jsonl.gz"
                self._file(path).rows.append(offset + rows)

    def _write_files(self, records: Records) -> None:
        truncated_path = (
            self._gateway_file(self.truncated_shard, 0).path
            if self.truncated_shard is not None
            else None
        )
        resent_path = (
            self._gateway_file(REDELIVERED_SHARD, 0).path
            if self.plan.redeliver_offset is not None
            else None
        )
        for path, content, lines in self._file_contents(records):
            if not lines:
                continue
            file = self.files[path]
            compressed = gzip_bytes(content)
            self.report.files += 1
            self.report.lines_written += lines
            if path == truncated_path:
                self.ctx.run.landing.write(path, truncate_gzip(compressed))
                self.report.truncated_files.append(path)
                self.truncated_rows = self._rows(file)
                continue
            self.ctx.run.landing.write(path, compressed)
            self.report.quarantined.update(reason for _, reason, _ in file.bad_lines)
            self.report.valid_lines += lines - len(file.bad_lines)
            if file.late:
                self.report.late_files += 1
            if path == resent_path:
                self._resend(path, compressed, lines)
                self.resent_rows = self._rows(file)

    def _resend(self, path: str, compressed: bytes, lines: int) -> None:
        offset = self.plan.redeliver_offset or 0
        copy = (
            f"{self._partition(offset)}/gw-{REDELIVERED_SHARD}-resent-{self.date:%Y%m%d}.jsonl.gz"
        )
        self.ctx.run.landing.write(copy, compressed)
        first, second = sorted([path, copy])
        self.report.redelivered_files.append({"first": first, "copy": second})
        self.report.files += 1
        self.report.lines_written += lines
        self.report.valid_lines += lines

    @staticmethod
    def _rows(file: _File) -> np.ndarray:
        return np.concatenate(file.rows) if file.rows else np.zeros(0, np.int64)

    def _file_contents(self, records: Records):
        """(path, chunks, lines) per file. All clean lines of the day are rendered in one
        Polars call (per-call overhead dominates small files), then cut per file."""
        paths = sorted(self.files)
        ordered = []
        for path in paths:
            rows = self._rows(self.files[path])
            ordered.append(rows[np.lexsort((records.seq[rows], records.ms[rows]))])
        everything = records.take(np.concatenate(ordered) if ordered else np.zeros(0, np.int64))
        everything.email = self._as_logged(everything)
        clean = render_clean_lines(everything, self.date, self.ctx.email_table)
        line_ends = np.flatnonzero(np.frombuffer(clean, np.uint8) == 10) + 1
        boundaries = np.concatenate([[0], line_ends])
        first_line = 0
        for path, rows in zip(paths, ordered, strict=True):
            line_starts = boundaries[first_line : first_line + len(rows) + 1]
            first_line += len(rows)
            start, end = int(line_starts[0]), int(line_starts[-1])
            inserts = [
                (int(depth * len(rows)), text) for depth, _, text in self.files[path].bad_lines
            ]
            chunks = splice_lines(clean[start:end], line_starts - start, inserts)
            yield path, chunks, len(rows) + len(inserts)

    def _as_logged(self, records: Records) -> np.ndarray:
        """One gateway writes addresses as the identity provider spells them."""
        display = (records.shard == cfg.DISPLAY_CASE_SHARD) & (records.person >= 0)
        return np.where(display, records.email + len(self.population.emails), records.email)

    # --- accounting ------------------------------------------------------------------

    def _account(self, pool: Records, originals, copies: Records, conflicting) -> None:
        r = self.report
        kept = np.ones(len(pool), bool)
        kept[self.truncated_rows] = False
        r.late_lines = int(((pool.lag > 0) & kept).sum())
        r.duplicate_identical_lines = int((~conflicting).sum())
        r.duplicate_conflicting_lines = int(conflicting.sum())
        stranger = pool.person < 0
        r.unknown_email_requests = int((stranger & kept).sum())
        r.unknown_email_lines = r.unknown_email_requests + int(stranger[self.resent_rows].sum())
        r.distinct_request_ids = r.requests = int(kept.sum())
        success = (pool.status == SUCCESS) & kept
        r.success_requests = int(success.sum())
        r.error_requests = r.requests - r.success_requests
        # a corrected copy is what counts: it sorts later in path order than its original
        corrected = conflicting & (pool.status[originals] == SUCCESS)
        correction = copies.tokens[corrected].sum() - pool.tokens[originals[corrected]].sum()
        r.billable_tokens = int(pool.tokens[success].sum() + correction)
        billed_tokens = pool.tokens.copy()
        billed_tokens[originals[conflicting]] = copies.tokens[conflicting]
        r.invoice_tokens = invoice_tokens(pool, success, billed_tokens)
