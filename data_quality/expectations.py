"""Great Expectations 1.x on small pandas frames read from DuckDB.

GE's SQLAlchemy path fails on DuckDB (IndexError in metric resolution), so the
checks aggregate in DuckDB and hand GE the small result as a pandas frame. GE
runs in an ephemeral, in-memory context: nothing is written to the repository.
It is imported on first use because importing it takes seconds, which the CLI
and `dagster definitions validate` should not pay.
"""

from __future__ import annotations

import functools
import itertools
import threading
from dataclasses import dataclass
from typing import Any

import pandas as pd

_batches = itertools.count()


@dataclass(frozen=True)
class Verdict:
    """What one expectation found."""

    key: str
    expectation: str
    column: str | None
    success: bool
    element_count: int | None
    unexpected_count: int | None
    observed_value: Any
    # Positions in the validated frame of the rows the expectation rejected.
    unexpected_rows: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "expectation": self.expectation,
            "column": self.column,
            "success": self.success,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "observed_value": self.observed_value,
        }


_context_lock = threading.Lock()


def warm_up() -> None:
    """Import GE and build its context ahead of the first check
    (orchestration.shortcuts starts it on a thread during extraction)."""
    _batch_definition()


def _batch_definition():
    with _context_lock:
        return _build_batch_definition()


@functools.cache
def _build_batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars would fill Dagster's captured stderr with one line per metric.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("aiw_data_quality")
    asset = source.add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def expectation(key: str, name: str, **kwargs):
    """An expectation by GE class name, tagged with `key` because GE reorders
    results: expectation("unique_ids", "ExpectColumnValuesToBeUnique", column="id")."""
    import great_expectations.expectations as gxe

    return getattr(gxe, name)(meta={"aiw_key": key}, **kwargs)


def column(name: str):
    """A GE row-condition column: `row_condition=column("n") > 0` limits an
    expectation to the rows where n > 0."""
    from great_expectations.expectations.row_conditions import Column

    return Column(name)


def is_true(name: str):
    """Row condition: the boolean column `name` is true."""
    # `==` on a GE Column builds a condition; it is not a Python comparison.
    return column(name) == True  # noqa: E712


def validate(frame: pd.DataFrame, expectations: list) -> dict[str, Verdict]:
    """Validate `frame` against the expectations; verdicts by key."""
    import great_expectations as gx

    # The context must exist before the suite: GE binds suites to the active context.
    batch_definition = _batch_definition()
    suite = gx.ExpectationSuite(name=f"aiw_suite_{next(_batches)}")
    for item in expectations:
        suite.add_expectation(item)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)})
    # COMPLETE: the positions of every rejected row, so a check names its
    # offenders from GE's verdict instead of filtering the frame a second time.
    result = batch.validate(suite, result_format="COMPLETE")
    verdicts = (_verdict(r) for r in result.results)
    return {v.key: v for v in verdicts}


def _verdict(result) -> Verdict:
    if result.exception_info and result.exception_info.get("raised_exception"):
        raise RuntimeError(
            f"{result.expectation_config.type} could not run: {result.exception_info.get('exception_message')}"
        )
    details = result.result or {}
    return Verdict(
        key=(result.expectation_config.meta or {}).get("aiw_key", result.expectation_config.type),
        expectation=result.expectation_config.type,
        column=result.expectation_config.kwargs.get("column")
        or result.expectation_config.kwargs.get("column_A"),
        success=bool(result.success),
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        observed_value=details.get("observed_value"),
        unexpected_rows=tuple(int(i) for i in details.get("unexpected_index_list") or ()),
    )


def rejected(frame: pd.DataFrame, verdicts: dict[str, Verdict], *keys: str) -> pd.DataFrame:
    """The rows of `frame` (as validated) that any of the named expectations
    rejected, in frame order: the offenders a check reports."""
    positions = sorted({i for key in keys for i in verdicts[key].unexpected_rows})
    return frame.reset_index(drop=True).iloc[positions]


def validate_one(
    frame: pd.DataFrame, key: str, name: str, **kwargs
) -> tuple[dict[str, Verdict], pd.DataFrame]:
    """Validate `frame` against the one expectation `name` (tagged `key`): its
    verdict by key, and the rows it rejected."""
    verdicts = validate(frame, [expectation(key, name, **kwargs)])
    return verdicts, rejected(frame, verdicts, key)
