"""A dbt model's own SQL, rendered without dbt, for synthetic test databases.

Tests of the quality checks build a small WORK database directly (dbt would
cost seconds per scenario). Where such a database needs a dbt model whose
rule the checks rely on (which copy of a request wins, which deployments
dedupe keeps), it runs the model's SQL from dbt_project/ rendered here, with
its refs pointed at stand-in relations, so the rule is never re-stated.
Only plain-Jinja models and macros render this way (no run_query, no
adapter calls while rendering).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import jinja2

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def render_model(name: str, refs: Mapping[str, str]) -> str:
    """The SQL of model `name` with each ref('x') rendered as refs['x']."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
    env.globals.update(ref=lambda model: refs[model], config=lambda **_: "")
    for path in sorted((DBT_PROJECT_DIR / "macros").glob("*.sql")):
        module = env.from_string(path.read_text()).module
        env.globals.update(
            {k: v for k, v in vars(module).items() if isinstance(v, jinja2.runtime.Macro)}
        )
    (path,) = (DBT_PROJECT_DIR / "models").rglob(f"{name}.sql")
    return env.from_string(path.read_text()).render()
