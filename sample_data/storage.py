"""Writing files to a landing root given as a local path or any fsspec URL."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import fsspec
from fsspec import AbstractFileSystem

GZIP_LEVEL = 1
TRUTH_FILE = "_truth.json"
OWNED_FOLDERS = ("usage", "deploys", "roster", "reference", "otel", "litellm", "copilot")

# A gzip header written by hand, because zlib's and the gzip module's headers vary
# by platform (OS byte) or clock (mtime): magic, deflate, no flags, mtime 0, XFL
# "fastest", OS unknown. Same bytes in, same bytes out, on every machine.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff"


def gzip_bytes(chunks: Iterable[bytes | memoryview]) -> bytes:
    """One gzip member of the concatenated chunks (fed piecewise: no joined copy)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body, crc, size = [_GZIP_HEADER], 0, 0
    for chunk in chunks:
        body.append(compressor.compress(chunk))
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    body.append(compressor.flush())
    body.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return b"".join(body)


def truncate_gzip(compressed: bytes) -> bytes:
    """Cut a gzip stream inside its deflate body, as an interrupted upload does."""
    header, trailer = len(_GZIP_HEADER), 8
    cut = header + max(1, (len(compressed) - header - trailer) * 3 // 5)
    return compressed[:cut]


@dataclass
class Landing:
    """A landing root; paths given to it are relative and '/'-separated."""

    url: str
    fs: AbstractFileSystem = field(init=False)
    root: str = field(init=False)
    _made_dirs: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.root = self.root.rstrip("/")

    def __getstate__(self) -> dict:
        return {"url": self.url}

    def __setstate__(self, state: dict) -> None:
        self.url = state["url"]
        self._made_dirs = set()
        self.__post_init__()

    @property
    def is_in_process_memory(self) -> bool:
        """Other processes cannot see this filesystem, so nothing may run in them."""
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        return "memory" in protocols

    def full_path(self, relative: str) -> str:
        return f"{self.root}/{relative}" if self.root else relative

    def write(self, relative: str, data: bytes) -> None:
        path = self.full_path(relative)
        folder = path.rsplit("/", 1)[0]
        if folder not in self._made_dirs:
            self.fs.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        with self.fs.open(path, "wb") as handle:
            handle.write(data)

    def prepare(self) -> None:
        """Make the root ready for a fresh landing zone.

        A previous generator output (recognised by its truth file) is replaced;
        anything else that already holds files is left alone and refused, so a
        mistyped --out cannot wipe a real landing zone.
        """
        if not self.fs.exists(self.root):
            self.fs.makedirs(self.root, exist_ok=True)
            return
        if not self.fs.isdir(self.root):
            raise ValueError(f"out {self.url!r} is a file, expected a folder or URL prefix")
        entries = self.fs.ls(self.root, detail=False)
        if not entries:
            return
        if not self.fs.exists(self.full_path(TRUTH_FILE)):
            raise ValueError(
                f"out {self.url!r} already holds files not written by the generator; "
                "choose an empty or new location"
            )
        for folder in OWNED_FOLDERS:
            path = self.full_path(folder)
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)
        self.fs.rm(self.full_path(TRUTH_FILE))
