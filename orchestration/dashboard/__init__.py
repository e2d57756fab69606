"""The dashboard: one self-contained HTML file drawn from the published marts
(`aiw report`, and the Dagster asset publish/report after each publish)."""

from orchestration.dashboard.page import AUDIENCES, ReportResult, write_report
from orchestration.dashboard.published import ReportError

__all__ = ["AUDIENCES", "ReportError", "ReportResult", "write_report"]
