"""Set-up shared by the extraction tests."""

import duckdb
import pytest


@pytest.fixture
def con(tmp_path):
    """The WORK database extraction loads into, in UTC like the pipeline's."""
    connection = duckdb.connect(str(tmp_path / "work.duckdb"))
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()
