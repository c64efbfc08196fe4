"""Reading a file to import: what its first bytes say it is, and its lines, bounded.

Shared by the readers of every format: `unreadable_head` refuses a file that is no
UTF-8 text at all from its first bytes (`peek_head`, which leaves them in the stream),
and no line may be longer than `MAX_LINE_BYTES`.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from heritage_registry.exchange.problems import ImportFailed

# The longest line an import reads (in CSV, characters): a longer one ends the reading.
MAX_LINE_BYTES = 1_000_000


# The csv module's own default: the longest cell of a CSV file the registry reads.
CSV_FIELD_LIMIT = 131_072


@contextmanager
def csv_field_limit(limit: int) -> Iterator[None]:
    """The csv module's longest cell set to `limit` while a reader reads, then set back.

    The limit is the csv module's, for the whole process, and other libraries change it
    (frictionless sets no limit when it is imported): set here, what an import accepts
    does not depend on what else the program has loaded.
    """
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


# How much of a file's start tells what it is.
_HEAD_BYTES = 4096
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v")


def _utf16_without_bom(head: bytes) -> bool:
    """Whether `head` reads as ASCII in UTF-16: a NUL byte beside every character."""
    sample = head[: min(len(head), 64) // 2 * 2]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) == len(odd) and 0 not in even) or (
        even.count(0) == len(even) and 0 not in odd
    )


def unreadable_head(head: bytes, wanted: str) -> str | None:
    """Why a file starting with `head` is no UTF-8 text at all, or None if it may be.

    `wanted` says what to give instead: "a CSV file saved as UTF-8". A file that is
    merely not UTF-8 (Latin-1 text) is left to the reader, which names its line.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "is UTF-32 text, not UTF-8; save it as UTF-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(head):
        return "is UTF-16 text, not UTF-8; save it as UTF-8"
    # Text may hold a stray NUL (a cell to refuse on its line), not a tenth of NULs.
    binary = head.count(0) * 10 > len(head)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        binary = binary or any(byte < 0x20 and byte not in _TEXT_CONTROLS for byte in head)
    return f"is binary, not text; import {wanted}" if binary else None


def peek_head(stream: IO[bytes]) -> tuple[bytes, IO[bytes]]:
    """The first bytes of `stream`, and a stream that still starts with them."""
    peek = getattr(stream, "peek", None)
    if callable(peek):
        head = bytes(peek(_HEAD_BYTES)[:_HEAD_BYTES])
        return head, stream
    head = stream.read(_HEAD_BYTES) or b""
    return head, io.BufferedReader(_Replayed(head, stream))


class _Replayed(io.RawIOBase):
    """`head`, already read from `rest`, and then the rest of it."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = memoryview(head)
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.head:
            size = min(len(view), len(self.head))
            view[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _numbered_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The file's lines with their numbers, refusing one longer than MAX_LINE_BYTES.

    The refusal ends the reading: reading on past such a line (a gigabyte, of a file
    that is no export) to check the lines after it would take as long as the file is.
    """
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise ImportFailed(number, f"longer than {MAX_LINE_BYTES:,} bytes; split the record")
        yield number, raw
