"""Turn one landing file into batches of numbered lines (JSON) or cells (CSV).

Files are read as streams in bounded blocks, so memory follows the block size,
not the size of a delivery day. Line numbers are physical lines of the
decompressed file, 1-based, as the quarantine contract requires.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from queue import Full, Queue

import numpy as np
import pyarrow as pa

from orchestration.landing import LandingZone

BLOCK_BYTES = 64 << 20


class WholeFileFault(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Digest:
    """Content hash of the decompressed bytes: the same content under another
    name or another compression is recognised as a re-delivery."""

    sha: hashlib._Hash

    @classmethod
    def new(cls) -> Digest:
        return cls(hashlib.sha256())

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def _decompressed(landing: LandingZone, relative: str):
    raw = landing.open(relative)
    if relative.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return raw


def _read_blocks(landing: LandingZone, relative: str, digest: Digest) -> Iterator[bytes]:
    try:
        with _decompressed(landing, relative) as stream:
            while True:
                block = stream.read(BLOCK_BYTES)
                if not block:
                    return
                digest.sha.update(block)
                yield block
    except EOFError as exc:
        raise WholeFileFault("truncated_gzip", f"compressed stream ends early: {exc}") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise WholeFileFault("unreadable_file", f"not a valid gzip file: {exc}") from None
    except OSError as exc:
        raise WholeFileFault("unreadable_file", f"cannot read file: {exc}") from None


def _line_offsets(block: bytes, first_line: int) -> pa.Table:
    """Numbered lines of `block` as Arrow arrays over the block's own bytes.

    Lines are cut at every newline with numpy and handed to Arrow as offsets
    into the block, so no Python object is made per line. Each line keeps its
    trailing newline: JSON ignores it, and the quarantine strips it.
    """
    buffer = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(buffer == 0x0A) + 1
    if not len(ends) or ends[-1] != len(block):
        ends = np.append(ends, len(block))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    count = len(offsets) - 1
    data = pa.py_buffer(block)
    lines = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), count, [None, pa.py_buffer(offsets), data]
    )
    numbers = pa.array(np.arange(first_line, first_line + count, dtype=np.int64))
    try:
        # Arrow validates UTF-8 as it casts; almost every block passes whole.
        text = lines.cast(pa.large_string())
        return pa.table({"line_number": numbers, "raw_text": text})
    except pa.ArrowInvalid:
        return _line_table_with_bad_encoding(numbers, lines)


def shown(raw: bytes) -> str:
    """Text of bytes that are not all UTF-8, for the quarantine: every byte
    that does not decode is shown as a `\\xNN` escape, never replaced."""
    return raw.decode("utf-8", errors="backslashreplace")


def _line_table_with_bad_encoding(numbers: pa.Array, lines: pa.Array) -> pa.Table:
    """The slow path for a block holding bytes that are not UTF-8: such a line
    is kept (its bad bytes escaped) so it can be quarantined as invalid."""
    texts, ok = [], []
    for raw in lines.to_pylist():
        try:
            texts.append(raw.decode("utf-8"))
            ok.append(True)
        except UnicodeDecodeError:
            texts.append(shown(raw))
            ok.append(False)
    return pa.table(
        {
            "line_number": numbers,
            "raw_text": pa.array(texts, pa.large_string()),
            "_encoding_ok": pa.array(ok, pa.bool_()),
        }
    )


def json_line_batches(landing: LandingZone, relative: str, digest: Digest) -> Iterator[pa.Table]:
    """Arrow batches with columns line_number, raw_text (newline kept) and,
    only when a line is not valid UTF-8, _encoding_ok."""
    next_line = 1
    carry = b""
    for block in _read_blocks(landing, relative, digest):
        block = carry + block if carry else block
        cut = block.rfind(b"\n")
        if cut < 0:
            carry = block
            continue
        carry = block[cut + 1 :]
        batch = _line_offsets(block[: cut + 1], next_line)
        yield batch
        next_line += batch.num_rows
    if carry:
        yield _line_offsets(carry, next_line)


def read_ahead(batches: Iterator[pa.Table], depth: int = 1) -> Iterator[pa.Table]:
    """Iterate `batches` with the next one read on a thread meanwhile.

    Decompression, hashing and line cutting release the GIL, as does DuckDB
    while it validates the previous batch, so the two overlap on two cores.
    An exception in the reader is raised here, in the consumer.
    """
    queue: Queue = Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def offer(item) -> bool:
        """Put `item` unless the consumer has gone; never blocks for good."""
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
            offer(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            offer(exc)

    reader = threading.Thread(target=produce, name="aiw-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def csv_cells(
    landing: LandingZone, relative: str, expected_columns: list[str], digest: Digest
) -> pa.Table:
    """One Arrow table: line_number, raw_text, _encoding_ok, _field_count,
    _field_count_ok, _expected_fields, s_0..s_n (cells in `expected_columns`
    order). A header-only file gives a table with no rows.

    The header is matched by name (order and extra columns are free); a header
    lacking a contract column faults the whole file. A row that is not valid
    UTF-8 keeps no cells (it is quarantined `invalid_encoding`); the other
    rows of the file load.
    """
    data = b"".join(_read_blocks(landing, relative, digest))
    if data.startswith(codecs.BOM_UTF8):
        # A byte-order mark (spreadsheet exports write one) is not part of the header.
        data = data[len(codecs.BOM_UTF8) :]
    # Undecodable bytes become lone surrogates, which no valid text holds: the
    # rows carrying them are found after the CSV split, and only they.
    text = data.decode("utf-8", errors="surrogateescape")
    rows = list(_physical_rows(text))
    if not rows or not any(cell.strip() for cell in rows[0][2]):
        raise WholeFileFault("missing_header", "file is empty or has no header row")
    header = [_decodable(cell.strip().lower()) for cell in rows[0][2]]
    missing = [c for c in expected_columns if c not in header]
    if missing:
        raise WholeFileFault(
            "missing_header", f"header lacks {', '.join(missing)} (got: {','.join(header)})"
        )
    positions = [header.index(c) for c in expected_columns]
    body = rows[1:]
    encoded = [_decodable(raw) == raw for _, raw, _ in body]
    fits = [ok and len(r[2]) == len(header) for ok, r in zip(encoded, body, strict=True)]
    columns: dict[str, list] = {
        "line_number": [r[0] for r in body],
        "raw_text": [_decodable(r[1]) for r in body],
        "_encoding_ok": encoded,
        "_field_count": [len(r[2]) for r in body],
        "_field_count_ok": [len(r[2]) == len(header) for r in body],
        "_expected_fields": [len(header)] * len(body),
    }
    for index, position in enumerate(positions):
        columns[f"s_{index}"] = [
            r[2][position] if ok else None for ok, r in zip(fits, body, strict=True)
        ]
    schema = pa.schema(
        [
            ("line_number", pa.int64()),
            ("raw_text", pa.string()),
            ("_encoding_ok", pa.bool_()),
            ("_field_count", pa.int64()),
            ("_field_count_ok", pa.bool_()),
            ("_expected_fields", pa.int64()),
            *((f"s_{i}", pa.string()) for i in range(len(positions))),
        ]
    )
    return pa.table(columns, schema=schema)


def _decodable(text: str) -> str:
    """`text` as it was, or with the bytes that were not UTF-8 (lone
    surrogates of the surrogateescape decoding) shown as `\\xNN` escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return shown(text.encode("utf-8", errors="surrogateescape"))
    return text


def _physical_rows(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """(first physical line, raw text, cells) per CSV record; a quoted newline
    makes one record span several lines. A record the csv module cannot parse
    is returned with no cells, so it is quarantined instead of stopping the file."""
    buffered: list[str] = []

    def feed() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            buffered.append(line)
            yield line

    lines = feed()
    first_line = 1
    while True:
        reader = csv.reader(lines, strict=True)
        try:
            for cells in reader:
                span = len(buffered)
                raw = "".join(buffered).rstrip("\r\n")
                buffered.clear()
                yield first_line, raw, cells
                first_line += span
            return
        except csv.Error:
            span = max(1, len(buffered))
            raw = "".join(buffered).rstrip("\r\n")
            buffered.clear()
            yield first_line, raw, []
            first_line += span
