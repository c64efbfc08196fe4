"""Files the registry writes: each appears whole or not at all.

Every file written here (an export, a summary, a folder of summaries and its index) is
written to a hidden temporary file in the target's own folder, flushed to the disk and
renamed over the target only once it is whole; on any failure the temporary file is
removed, a target that was there before is left as it was, and no empty file is left.
Folders missing on the way to the target are created, and removed again if the write
fails. What stops a write (the path is a folder, a folder on the way is a file,
permission is denied, the file system is read-only, the disk is full) is raised as
`CannotWrite`, with a one-line message that says what to do.

    from heritage_registry.files import atomic_text

    with atomic_text("out/registry.jsonl") as out:
        out.write(...)
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING

from heritage_registry.errors import CannotWrite

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "CannotWrite",
    "atomic_text",
    "atomic_texts",
    "cannot_write",
    "make_folders",
    "remove_folders",
    "write_text",
]

FULL = (errno.ENOSPC, errno.EDQUOT)


def cannot_write(path: str | os.PathLike[str], exc: OSError) -> CannotWrite:
    """The one-line error for an OSError met writing `path`."""
    shown = os.fspath(path)
    code = exc.errno
    if code in FULL:
        return CannotWrite(
            shown,
            "the disk is full",
            "free some space, or choose a folder on another disk, and run the command again",
            state="nothing was written",
        )
    if code == errno.EROFS:
        return CannotWrite(
            shown, "the file system is read-only", "choose a folder on a disk you can write to"
        )
    if code in (errno.EACCES, errno.EPERM):
        return CannotWrite(shown, "permission denied", "choose a folder you can write to")
    if code == errno.EISDIR:
        return CannotWrite(shown, "it is a folder", "give the name of a file to write")
    if code == errno.ENAMETOOLONG:
        return CannotWrite(shown, "the name is too long", "choose a shorter name")
    reason = (exc.strerror or str(exc)).rstrip(".")
    return CannotWrite(shown, reason[:1].lower() + reason[1:], "choose another place to write it")


def _file_in_the_way(folder: Path) -> Path | None:
    """The first part of `folder`'s path that is there but is not a folder, if any."""
    for part in [*reversed(folder.parents), folder]:
        if part.exists() and not part.is_dir():
            return part
    return None


def make_folders(folder: Path, shown: str | os.PathLike[str]) -> list[Path]:
    """Create `folder` and any missing folders above it; those created, outermost first.

    `shown` is the path named in an error. Raises `CannotWrite` when a file stands where
    a folder must be, or a folder cannot be made; any folder made by then is removed.
    """
    missing: list[Path] = []
    for part in [folder, *folder.parents]:
        if part.is_dir():
            break
        missing.insert(0, part)
    created: list[Path] = []
    try:
        for part in missing:
            try:
                part.mkdir()
            except FileExistsError:
                if part.is_dir():
                    # Another command made it meanwhile: theirs, not ours to remove.
                    continue
                raise
            created.append(part)
    except (FileExistsError, NotADirectoryError) as exc:
        remove_folders(created)
        in_the_way = _file_in_the_way(folder) or Path(exc.filename or folder)
        raise CannotWrite(
            os.fspath(shown),
            f"{in_the_way} is a file, not a folder",
            "choose another folder, or move that file",
        ) from None
    except OSError as exc:
        remove_folders(created)
        raise cannot_write(shown, exc) from None
    return created


def remove_folders(created: list[Path]) -> None:
    """Remove folders made for a write that failed, innermost first, where still empty."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return


class _Raw(io.FileIO):
    """The temporary file: an error writing it names it, so that it can be told apart."""

    path = ""

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            exc.filename = self.path
            raise


class _Pending:
    """One file being written: its temporary file, until it is renamed or removed."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.shown = os.fspath(target)
        self.target = Path(target)
        if self.target.is_dir():
            raise CannotWrite(self.shown, "it is a folder", "give the name of a file to write")
        folder = self.target.parent
        self.created = make_folders(folder, self.shown)
        # A target already there keeps its permissions; a new file gets the usual ones
        # (0o666 less the umask), which a temporary file's 0o600 would not give.
        try:
            mode = stat.S_IMODE(self.target.stat().st_mode)
        except OSError:
            mode = None
        self.temporary = folder / f".{self.target.name}.{secrets.token_hex(4)}.tmp"
        try:
            descriptor = os.open(
                self.temporary,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                0o666,
            )
        except OSError as exc:
            remove_folders(self.created)
            raise cannot_write(self.shown, exc) from None
        raw = _Raw(descriptor, "w")
        raw.path = os.fspath(self.temporary)
        self.handle = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", newline="")
        if mode is not None:
            with suppress(OSError):
                os.chmod(descriptor, mode)

    def owns(self, exc: OSError) -> bool:
        return bool(exc.filename == os.fspath(self.temporary))

    def finish(self) -> None:
        """Flush the whole file to the disk and close it, still under its temporary name."""
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
        except OSError as exc:
            self.discard()
            raise cannot_write(self.shown, exc) from None

    def commit(self) -> None:
        try:
            os.replace(self.temporary, self.target)
        except OSError as exc:
            self.discard()
            raise cannot_write(self.shown, exc) from None

    def discard(self) -> None:
        # A close that flushes what was left may fail: the file goes anyway.
        with suppress(OSError):
            self.handle.close()
        with suppress(FileNotFoundError):
            self.temporary.unlink()
        remove_folders(self.created)


@contextmanager
def atomic_texts(*paths: str | os.PathLike[str]) -> Iterator[tuple[IO[str], ...]]:
    """Text files (UTF-8, lines as written) that appear at `paths` together when the
    block ends, or, if it fails, none of them; an OSError becomes `CannotWrite`."""
    pending: list[_Pending] = []
    try:
        for path in paths:
            pending.append(_Pending(path))
        try:
            yield tuple(item.handle for item in pending)
        except OSError as exc:
            # Only a failure to write one of these files is theirs to explain.
            failed = next((item for item in pending if item.owns(exc)), None)
            if failed is None:
                raise
            raise cannot_write(failed.shown, exc) from None
        for item in pending:
            item.finish()
        while pending:
            pending[0].commit()
            # Renamed into place: nothing of it is to be removed if a later one fails.
            pending.pop(0)
    finally:
        for item in reversed(pending):
            item.discard()


@contextmanager
def atomic_text(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text file (UTF-8, lines as written) that appears at `path` whole when the block
    ends, or not at all; see the module's description."""
    with atomic_texts(path) as (handle,):
        yield handle


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` as UTF-8, whole or not at all."""
    with atomic_text(path) as out:
        out.write(text)
