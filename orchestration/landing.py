"""Read-only access to the landing zone on a local path or any fsspec URL."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import BinaryIO

import fsspec
from fsspec.core import url_to_fs

PARTITIONED_SOURCES = ("usage", "deploys")
_PARTITION_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
ROSTER_FILE = re.compile(r"^roster_(\d{4}-\d{2}-\d{2})\.csv$")


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
        """Delivery dates (`dt=` folders) present for a partitioned source."""
        days = []
        for name in self._names(source):
            match = _PARTITION_DIR.match(name)
            if match:
                try:
                    days.append(dt.date.fromisoformat(match.group(1)))
                except ValueError:
                    continue
        return sorted(days)

    def partition_files(self, source: str, day: dt.date) -> list[str]:
        """Relative paths of the files of one partition, in path order."""
        return self.files(f"{source}/dt={day.isoformat()}")

    def files(self, folder: str) -> list[str]:
        """Relative paths of the data files in a folder, in path order (hidden and
        `_`-prefixed files such as `_truth.json` or `_SUCCESS` markers are skipped)."""
        return [
            f"{folder}/{name}"
            for name in self._names(folder)
            if not name.startswith((".", "_")) and self.fs.isfile(self._abs(f"{folder}/{name}"))
        ]

    def exists(self, relative: str) -> bool:
        return self.fs.isfile(self._abs(relative))

    def open(self, relative: str) -> BinaryIO:
        return self.fs.open(self._abs(relative), "rb")
