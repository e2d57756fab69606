"""Read-only access to the landing zone on a local path or any fsspec URL.

Which files a run reads is decided here, once: the loaders read what
`partition_files`, `files` and `exists` name, and `ignored_files` lists every
other file below the root, with the reason it is not read.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import BinaryIO

import fsspec
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from orchestration.settings import partitions_start

# Folders of daily delivery partitions (`<folder>/dt=YYYY-MM-DD/`); `otel` is
# Claude Code telemetry as the OpenTelemetry Collector's file exporter writes it,
# `litellm` LiteLLM proxy spend logs, `copilot` GitHub Copilot user-day reports.
PARTITIONED_SOURCES = ("usage", "deploys", "otel", "litellm", "copilot")
_PARTITION_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
ROSTER_FILE = re.compile(r"^roster_(\d{4}-\d{2}-\d{2})\.csv$")
# What a partition folder's files must end with to be read (`.gz` is decompressed).
PARTITION_SUFFIXES = {
    "usage": (".jsonl.gz", ".jsonl"),
    "deploys": (".csv", ".csv.gz"),
    "otel": (".jsonl.gz", ".jsonl"),
    "litellm": (".jsonl.gz", ".jsonl"),  # LiteLLM_SpendLogs rows
    "copilot": (".ndjson.gz", ".ndjson"),  # Copilot users-1-day reports
}
REFERENCE_FILES = {
    "price_book": "reference/price_book.csv",
    "contracts": "reference/contracts.csv",
    "identities": "reference/identities.csv",
}
LANDING_SOURCES = (*PARTITIONED_SOURCES, "roster", "reference")
# Provider cost reports: reference/provider_costs/<provider>/<any>.json[.gz]
PROVIDER_COSTS_FOLDER = "reference/provider_costs"
COST_REPORT_PROVIDERS = ("anthropic",)
COST_REPORT_SUFFIXES = (".json", ".json.gz")


class LandingZoneError(Exception):
    """The landing zone cannot be read at all (as opposed to one bad file)."""


def _missing_backend(url: str) -> str:
    """What to install for a URL whose fsspec filesystem is not installed."""
    from fsspec.registry import known_implementations

    scheme = url.split("://", 1)[0]
    spec = known_implementations.get(scheme, {})
    package = spec.get("class", "").split(".", 1)[0]
    if not package:
        return f"the {scheme}:// filesystem is not installed"
    return f"{scheme}:// needs the {package} package (install it: uv add {package})"


@dataclass(frozen=True)
class IgnoredFile:
    """A file below the landing root that no run reads, and why (stable codes):
    broken_symlink, not_a_file, unreadable_folder, hidden_file, unexpected_place,
    invalid_partition_folder, partition_before_start, in_subfolder,
    unexpected_suffix."""

    source_file: str  # relative to the landing root
    source: str | None  # the landing folder (usage, litellm, roster, reference, ...) when under one
    dt: dt.date | None  # the partition of its dt= folder, when that is a date
    reason: str


def _partition_day(name: str) -> dt.date | None:
    match = _PARTITION_DIR.match(name)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _hidden(name: str) -> bool:
    # `_SUCCESS` markers, `_truth.json`, editor and OS files (`.DS_Store`).
    return name.startswith((".", "_"))


@dataclass(frozen=True)
class LandingZone:
    url: str

    def __post_init__(self) -> None:
        try:
            fs, root = url_to_fs(self.url)
        except ImportError:
            raise LandingZoneError(
                f"cannot open landing zone {self.url!r}: {_missing_backend(self.url)}"
            ) from None
        except ValueError as exc:
            if str(exc).startswith("Protocol not known"):
                scheme = self.url.split("://", 1)[0]
                raise LandingZoneError(
                    f"cannot open landing zone {self.url!r}: unknown URL scheme {scheme!r} "
                    "(expected a local folder or an fsspec URL such as s3://, gs://, file://)"
                ) from None
            raise LandingZoneError(f"cannot open landing zone {self.url!r}: {exc}") from None
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "root", root.rstrip("/"))

    fs: fsspec.AbstractFileSystem = None  # type: ignore[assignment]
    root: str = ""

    def check_readable(self) -> None:
        try:
            ok = self.fs.isdir(self.root)
        except Exception as exc:
            raise LandingZoneError(f"cannot read landing zone {self.url!r}: {exc}") from None
        if not ok:
            raise LandingZoneError(f"landing zone {self.url!r} does not exist or is not a folder")

    def _abs(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def _names(self, relative_dir: str) -> list[str]:
        path = self._abs(relative_dir)
        if not self.fs.isdir(path):
            return []
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(path, detail=False))

    def partitions(self, source: str) -> list[dt.date]:
        """Delivery dates (`dt=` folders) present for a partitioned source, from
        the first partition day on (older folders are listed as ignored)."""
        start = partitions_start()
        days = (_partition_day(name) for name in self._names(source))
        return sorted(day for day in days if day is not None and day >= start)

    def partition_files(self, source: str, day: dt.date) -> list[str]:
        """Relative paths of the files of one partition, in path order."""
        return [
            relative
            for relative in self.files(f"{source}/dt={day.isoformat()}")
            if relative.endswith(PARTITION_SUFFIXES[source])
        ]

    def files(self, folder: str) -> list[str]:
        """Relative paths of the data files in a folder, in path order (hidden and
        `_`-prefixed files such as `_truth.json` or `_SUCCESS` markers are skipped)."""
        return [
            f"{folder}/{name}"
            for name in self._names(folder)
            if not _hidden(name) and self.fs.isfile(self._abs(f"{folder}/{name}"))
        ]

    def exists(self, relative: str) -> bool:
        return self.fs.isfile(self._abs(relative))

    def open(self, relative: str) -> BinaryIO:
        return self.fs.open(self._abs(relative), "rb")

    def read_files(self) -> set[str]:
        """Every file some run reads: the partitions' files, the roster folder's
        and the reference files."""
        read = {
            relative
            for source in PARTITIONED_SOURCES
            for day in self.partitions(source)
            for relative in self.partition_files(source, day)
        }
        read.update(self.files("roster"))
        read.update(path for path in REFERENCE_FILES.values() if self.exists(path))
        read.update(page for _, page in self.cost_report_pages())
        return read

    def cost_report_pages(self) -> list[tuple[str, str]]:
        """(provider, relative path) of every provider cost-report page, in path order."""
        return [
            (provider, relative)
            for provider in COST_REPORT_PROVIDERS
            for relative in self.files(f"{PROVIDER_COSTS_FOLDER}/{provider}")
            if relative.endswith(COST_REPORT_SUFFIXES)
        ]

    def ignored_files(self) -> list[IgnoredFile]:
        """Every file below the root that no run reads, with its reason, in path order."""
        read = self.read_files()
        return [
            IgnoredFile(relative, *self._where(relative), reason)
            for relative, reason in self._walk("")
            if relative not in read
        ]

    def _where(self, relative: str) -> tuple[str | None, dt.date | None]:
        parts = relative.split("/")
        source = parts[0] if len(parts) > 1 and parts[0] in LANDING_SOURCES else None
        day = _partition_day(parts[1]) if source in PARTITIONED_SOURCES and len(parts) > 2 else None
        return source, day

    def _walk(self, folder: str, seen: frozenset[str] = frozenset()):
        """(relative path, reason it would not be read) of every entry below
        `folder` that is not a folder; a folder that cannot be listed is one
        entry. A symbolic link back to a folder above is not followed again."""
        path = self._abs(folder) if folder else self.root
        if isinstance(self.fs, LocalFileSystem):
            real = os.path.realpath(path)
            if real in seen:
                return
            seen = seen | {real}
        try:
            entries = sorted(self.fs.ls(path, detail=True), key=lambda e: e["name"])
        except OSError:
            yield folder, "unreadable_folder"
            return
        for entry in entries:
            name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
            relative = f"{folder}/{name}" if folder else name
            kind = entry.get("type")
            if entry.get("islink"):
                # fsspec describes the link itself; the loaders follow it.
                target = self._abs(relative)
                kind = (
                    "directory"
                    if self.fs.isdir(target)
                    else "file"
                    if self.fs.isfile(target)
                    else "broken"
                )
            if kind == "directory":
                yield from self._walk(relative, seen)
            elif kind == "file":
                yield relative, _reason_not_read(relative)
            else:
                yield relative, "broken_symlink" if kind == "broken" else "not_a_file"


def _reason_not_read(relative: str) -> str:
    """Why a regular file at `relative` is not read by any run (the layout of
    landing_contract.md); used only for files the loaders do not read."""
    parts = relative.split("/")
    if any(_hidden(part) for part in parts):
        return "hidden_file"
    source = parts[0]
    if len(parts) == 1 or source not in LANDING_SOURCES:
        return "unexpected_place"
    if source in PARTITIONED_SOURCES:
        if len(parts) == 2:
            return "unexpected_place"
        day = _partition_day(parts[1])
        if day is None:
            return "invalid_partition_folder"
        if day < partitions_start():
            return "partition_before_start"
        if len(parts) > 3:
            return "in_subfolder"
        return "unexpected_suffix"
    if len(parts) > 2:
        return "in_subfolder"
    return "unexpected_place"
