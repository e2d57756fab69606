"""dbt's native unit tests (one per metric rule) run green on an empty database.

The fixtures are `format: sql`, so no raw table or built model is needed: the
DuckDB file under tmp_path stays empty.
"""

from __future__ import annotations

from tests.dbt._dbt import run_dbt_ok


def test_dbt_unit_tests_pass(tmp_path):
    result = run_dbt_ok(["test", "--select", "test_type:unit"], tmp_path, tmp_path / "unit.duckdb")

    ran = [r.node.unique_id for r in result.result.results]
    assert len(ran) >= 15, f"expected the metric-rule unit tests, ran {ran}"
