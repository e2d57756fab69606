"""Dagster code location of ai-impact-warehouse (see code_location.py)."""

from orchestration.code_location import build_definitions
from orchestration.settings import landing_url, serving_path

defs = build_definitions(landing_url(), str(serving_path()))
