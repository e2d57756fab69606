"""`aiw`: generate sample data, run the pipeline, or do both as a demo."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from orchestration.settings import (
    DEFAULT_LANDING,
    DEFAULT_WAREHOUSE,
    report_path_for,
    work_path_for,
)

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as the interface promises
        self.exit(EXIT_USAGE, f"aiw: error: {message}\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    import sample_data as sample  # the generator's defaults

    parser = _Parser(prog="aiw", description="ai-impact-warehouse")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    generate = commands.add_parser("generate", help="write a sample landing zone")
    generate.add_argument("--out", required=True, help="folder or fsspec URL")
    generate.add_argument("--employees", type=int, default=sample.DEFAULT_EMPLOYEES)
    generate.add_argument("--start", type=_date, default=sample.DEFAULT_START)
    generate.add_argument("--days", type=int, default=sample.DEFAULT_DAYS)
    generate.add_argument("--seed", type=int, default=sample.DEFAULT_SEED)
    generate.add_argument(
        "--requests-per-dev-day", type=float, default=sample.DEFAULT_REQUESTS_PER_DEV_DAY
    )
    generate.add_argument("--bad-rate", type=float, default=sample.DEFAULT_BAD_RATE)
    generate.add_argument(
        "--sources",
        default="gateway",
        help="comma-separated tools that deliver the usage: gateway (default), otel "
        "(Claude Code OpenTelemetry logs), litellm (LiteLLM spend logs), copilot "
        "(GitHub Copilot user-day reports); each developer's requests go through one "
        "of the request sources, Copilot is extra",
    )
    generate.add_argument(
        "--unmatched-identities",
        type=int,
        default=0,
        metavar="N",
        help="leave N identities the data uses out of reference/identities.csv "
        "(listed in _truth.json planted.unmatched_identities)",
    )
    generate.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    run = commands.add_parser("run", help="extract, build, check and publish")
    run.add_argument("--landing", required=True, help="landing zone folder or fsspec URL")
    run.add_argument("--warehouse", required=True, help="serving DuckDB file BI tools read")
    run.add_argument("--start", type=_date, help="first delivery day (default: first dt= found)")
    run.add_argument("--end", type=_date, help="last delivery day (default: last dt= found)")
    run.add_argument("--verbose", action="store_true", help="also print each step's seconds")
    run.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        help="what dbt builds with (default: AIW_ENGINE, else duckdb); spark needs "
        "`uv sync --group spark`",
    )

    report = commands.add_parser("report", help="write the HTML dashboard of a serving file")
    report.add_argument("--warehouse", required=True, help="serving DuckDB file")
    report.add_argument("--out", required=True, help="HTML file to write")
    report.add_argument(
        "--audience",
        choices=("wide", "restricted"),
        default="wide",
        help="wide (default): no individual and no group below the minimum size; "
        "restricted: adds the individual signals",
    )

    demo = commands.add_parser(
        "demo", help="generate sample data if missing, run, print headline figures"
    )
    demo.add_argument("--verbose", action="store_true", help="also print each step's seconds")
    return parser


def _generate(args) -> int:
    from sample_data import generate_landing

    try:
        truth = generate_landing(
            out=args.out,
            employees=args.employees,
            start=args.start,
            days=args.days,
            seed=args.seed,
            requests_per_dev_day=args.requests_per_dev_day,
            bad_rate=args.bad_rate,
            progress=not args.no_progress and sys.stderr.isatty(),
            sources=args.sources,
            unmatched_identities=args.unmatched_identities,
        )
    except ValueError as exc:
        print(f"aiw generate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    records = truth.get("valid_usage_lines", "?")
    print(
        f"wrote a landing zone for {args.employees} employees over {args.days} days to {args.out} "
        f"({records} valid usage records)"
    )
    by_source = truth.get("usage", {}).get("by_source")
    if by_source:
        counts = [
            f"{tool} {stats['user_days']} user-days"
            if "user_days" in stats
            else f"{tool} {stats.get('requests', 0)} requests"
            for tool, stats in by_source.items()
        ]
        print("usage by source: " + ", ".join(counts))
    return EXIT_OK


def _days(days) -> str:
    return ", ".join(day.isoformat() for day in days)


def _print_outcome(outcome, serving: Path, verbose: bool = False) -> None:
    print(f"Delivery days {outcome.first_day} .. {outcome.last_day}")
    if outcome.withdrawn:
        print(f"  withdrawn (dt= folder gone): {_days(outcome.withdrawn)}")
    if outcome.vanished_outside:
        print(
            f"  not withdrawn, outside --start/--end (dt= folder gone): "
            f"{_days(outcome.vanished_outside)}; run without --start/--end to withdraw them"
        )
    # landing_files sums every file of the run, so it is printed last, as the total.
    ordered = sorted(
        outcome.extraction.items(), key=lambda item: (item[0] == "landing_files", item[0])
    )
    for name, meta in ordered:
        if name == "landing_files":
            name = "all files"
        if "lines_read" in meta:
            print(
                f"  {name:<20} files {meta.get('files', 0):>5}  read {meta['lines_read']:>10,}  "
                f"loaded {meta['rows_loaded']:>10,}  quarantined {meta['rows_quarantined']:>7,}"
                + (
                    f"  skipped (not usage) {meta['rows_skipped']:,}"
                    if meta.get("rows_skipped")
                    else ""
                )
                + (
                    f"  (whole files quarantined: {meta['files_quarantined']})"
                    if meta.get("files_quarantined")
                    else ""
                )
            )
        if meta.get("files_ignored"):
            reasons = ", ".join(f"{r} {n}" for r, n in meta.get("ignored_by_reason", {}).items())
            print(
                f"  {'files not read':<20} files {meta['files_ignored']:>5}  ({reasons}; "
                "listed in audit.landing_files as ignored)"
            )
    if outcome.checks:
        failed = [c for c in outcome.checks if not c["passed"]]
        print(f"Quality checks: {len(outcome.checks) - len(failed)} passed, {len(failed)} failed")
        for check in failed:
            observed = ", ".join(
                f"{k}={v}" for k, v in check["metadata"].items() if not isinstance(v, (dict, list))
            )
            level = "BLOCKING" if check["blocking"] else check["severity"]
            print(f"  [{level}] {check['name']} on {check['asset']}: {observed}")
    for failure in outcome.failures:
        print(f"  step failed: {failure}")
    if verbose and outcome.step_seconds:
        print(outcome.step_seconds_line())


def _run(landing: str, warehouse: str, start=None, end=None, verbose: bool = False) -> int:
    from orchestration.run_guard import WarehouseRefused, claim_warehouse

    serving = Path(warehouse)
    # Before the heavy imports, so a refused run says so at once.
    try:
        with claim_warehouse(serving):
            return _run_claimed(landing, serving, start, end, verbose)
    except WarehouseRefused as exc:
        print(f"aiw run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run_claimed(landing: str, serving: Path, start, end, verbose: bool = False) -> int:
    from orchestration.pipeline import UsageError, run_log_path, run_pipeline
    from orchestration.report import headline

    try:
        outcome = run_pipeline(landing, serving, start, end)
    except UsageError as exc:
        print(f"aiw run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # e.g. a full disk outside any step (the run log)
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"aiw run: the run failed: {exc.strerror or exc}{where}; {serving} was left as it was",
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
    _print_outcome(outcome, serving, verbose)
    if not outcome.success or not outcome.published:
        blocking = outcome.failed_blocking_checks
        reason = (
            "blocking check failed: " + ", ".join(f"{c['name']} on {c['asset']}" for c in blocking)
            if blocking
            else "the run failed" + (f" ({outcome.failures[0]})" if outcome.failures else "")
        )
        # A step after publish (the dashboard) can fail once the new file is in place.
        state = "was published" if outcome.published else "was left as it was"
        print(
            f"aiw run: {reason}; {serving} {state} (log: {run_log_path(serving)})",
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
    print(f"Published {serving}")
    print(headline(serving))
    report = report_path_for(serving)
    if report.exists():
        print(f"Dashboard: {report} (open it in a browser)")
    return EXIT_OK


def _engine_refusal(warehouse: str) -> str | None:
    """One line when the chosen engine, or the raw lake (AIW_LAKE), cannot run
    here (exit status 2)."""
    from orchestration.settings import engine

    try:
        chosen = engine()
    except ValueError as exc:
        return str(exc)
    from orchestration.lake import LakeError, lake_for

    try:
        lake_for(work_path_for(Path(warehouse)))
    except LakeError as exc:
        return str(exc)
    if chosen != "spark":
        return None
    from orchestration.spark_env import spark_unavailable_reason

    reason = spark_unavailable_reason()
    return f"--engine spark cannot run: {reason}" if reason else None


def _report(args) -> int:
    from orchestration.dashboard import ReportError, write_report

    try:
        result = write_report(Path(args.warehouse), Path(args.out), args.audience)
    except ReportError as exc:
        print(f"aiw report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"Wrote {result.path} ({result.audience} audience, {result.charts} charts"
        + (f"; not in this serving file: {', '.join(result.missing)}" if result.missing else "")
        + ")"
    )
    return EXIT_OK


def _demo(verbose: bool = False) -> int:
    from sample_data import generate_landing

    landing = Path(DEFAULT_LANDING)
    if not (landing / "usage").exists():
        print(f"Generating the sample organisation into {landing} …")
        generate_landing(out=str(landing), progress=sys.stderr.isatty())
    return _run(str(landing), DEFAULT_WAREHOUSE, verbose=verbose)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "generate":
        return _generate(args)
    if args.command == "run":
        if args.engine:
            os.environ["AIW_ENGINE"] = args.engine
        refused = _engine_refusal(args.warehouse)
        if refused:
            print(f"aiw run: error: {refused}", file=sys.stderr)
            return EXIT_USAGE
        return _run(args.landing, args.warehouse, args.start, args.end, args.verbose)
    if args.command == "report":
        return _report(args)
    return _demo(args.verbose)


def entry() -> None:
    """The `aiw` console script."""
    from orchestration.shortcuts import exit_without_teardown

    exit_without_teardown(main())


if __name__ == "__main__":
    entry()
