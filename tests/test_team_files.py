"""Files under a team (issue 11): what a command writes, reads and dates, when it goes wrong.

- Output: `summary SITE -o`, `export -o` (JSON Lines, CSV's two files, GeoJSON) and
  `summary --all -o FOLDER` create missing folders, and refuse a folder given for a file,
  a file in the way of a folder, a read-only file system and a full disk with one
  `Error:` line, exit 1, leaving no temporary or empty file and a target that was there
  before as it was; `summary --all` says how many summaries it wrote before a failure.
  Read-only and full disks are real: a read-only tmpfs, and a tmpfs filled up (root
  ignores permissions, so a chmod'd folder shows nothing); without root or mount
  permission those tests skip and say why.
- Input: a file of the wrong kind (JSON Lines read as CSV and the other way round,
  binary, UTF-16) is named and refused in one line.
- Dates: EDTF level 2 unspecified digits (`1984-1X`, `2016-03-1X`) are taken with the
  calendar bounds their digits allow, or refused in one line, on every way in.
- An import stopped by a full disk says how much it wrote, that it is whole, and that
  the same import run again completes it; run again, it does.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import mmap
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from heritage_registry import Registry, dates, exchange, files
from heritage_registry.cli import main
from heritage_registry.errors import CannotWrite, ImportInterrupted, InvalidRecord
from heritage_registry.exchange import import_csv, validate, writer
from heritage_registry.seed import load_seed
from heritage_registry.summary import build_summary, render
from tests.helpers import dump

FULL_FIX = "free some space, or choose a folder on another disk, and run the command again"
READ_ONLY = "the file system is read-only; choose a folder on a disk you can write to"
IS_A_FOLDER = "it is a folder; give the name of a file to write"
PAGE = mmap.PAGESIZE


# Fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("team-files") / "registry.db"
    shutil.copyfile(sqlite_template, path)
    with Registry.open(f"sqlite:///{path}") as registry:
        load_seed(registry)
    return f"sqlite:///{path}"


def _mount(where: Path, options: str) -> None:
    if getattr(os, "geteuid", lambda: -1)() != 0:
        pytest.skip("needs root to mount a tmpfs (a chmod'd folder does not stop root)")
    if shutil.which("mount") is None:
        pytest.skip("no mount command here to mount a tmpfs")
    command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")


def _unmount(where: Path) -> None:
    if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


Mounter = Callable[..., Path]


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Mounter]:
    """Mount small tmpfs file systems in the test's folder; unmounted when it ends.

    `tmpfs(size)` mounts one; `prepare(path)` is called on it while it is writable, and
    `read_only=True` then remounts it read-only; `fill_leaving=N` fills it but N pages.
    """
    mounted: list[Path] = []

    def mount(
        size: int = 64 * 1024,
        *,
        prepare: Callable[[Path], object] = lambda _path: None,
        read_only: bool = False,
        fill_leaving: int | None = None,
    ) -> Path:
        where = tmp_path / f"tmpfs-{len(mounted)}"
        where.mkdir()
        _mount(where, f"size={size},mode=0755")
        mounted.append(where)
        prepare(where)
        if fill_leaving is not None:
            _fill(where / ".filler", leaving=fill_leaving)
        if read_only:
            command = ["mount", "-o", "remount,ro", str(where)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot remount a tmpfs read-only: {done.stderr.strip()}")
        return where

    yield mount
    for where in reversed(mounted):
        _unmount(where)


def _fill(filler: Path, *, leaving: int) -> None:
    """Fill the file system with `filler`, then free `leaving` pages of it."""
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    written = 0
    try:
        while True:
            try:
                written += os.write(descriptor, b"\0" * PAGE)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        os.ftruncate(descriptor, max(0, written // PAGE - leaving) * PAGE)
    finally:
        os.close(descriptor)


def invoke(url: str, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", url, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def refused_with(result: Result, message: str) -> None:
    """One `Error:` line, exit 1, nothing on standard output."""
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) and its bytes; folders end with '/'."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_dir():
            found[name + "/"] = b""
        elif name != ".filler":
            found[name] = path.read_bytes()
    return found


# The commands that write files: how each names its target, and the files it writes.
OUTPUTS: dict[str, tuple[list[str], list[str]]] = {
    "summary": (["summary", "palmyra", "-o"], ["out.txt"]),
    "summary html": (["summary", "palmyra", "--format", "html", "-o"], ["out.txt"]),
    "export jsonl": (["export", "-o"], ["out.txt"]),
    "export csv": (["export", "--format", "csv", "-o"], ["out.txt", "out.sources.csv"]),
    "export geojson": (["export", "--format", "geojson", "-o"], ["out.txt"]),
}


# Output: folders ----------------------------------------------------------------------


@pytest.mark.parametrize("command", OUTPUTS.values(), ids=OUTPUTS)
def test_every_output_creates_its_missing_folders(
    seeded_url: str, tmp_path: Path, command: tuple[list[str], list[str]]
) -> None:
    args, names = command
    target = tmp_path / "new" / "deeper" / "out.txt"
    result = invoke(seeded_url, *args, str(target))
    assert result.exit_code == 0, result.output
    assert sorted(listing(tmp_path / "new" / "deeper")) == sorted(names)
    assert all(listing(tmp_path / "new" / "deeper").values())


def test_summary_all_creates_its_missing_folders(seeded_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "summaries"
    result = invoke(seeded_url, "summary", "--all", "-o", str(folder))
    assert result.exit_code == 0, result.output
    names = ["index.txt", "mosul-museum.txt", "nimrud.txt", "palmyra.txt"]
    assert sorted(listing(folder)) == names


@pytest.mark.parametrize("command", OUTPUTS.values(), ids=OUTPUTS)
def test_a_folder_given_for_a_file_is_refused(
    seeded_url: str, tmp_path: Path, command: tuple[list[str], list[str]]
) -> None:
    args, _ = command
    folder = tmp_path / "a-folder"
    folder.mkdir()
    (folder / "kept.txt").write_text("kept\n")
    result = invoke(seeded_url, *args, str(folder))
    refused_with(result, f"cannot write {folder}: {IS_A_FOLDER}")
    assert listing(tmp_path) == {"a-folder/": b"", "a-folder/kept.txt": b"kept\n"}


@pytest.mark.parametrize("command", OUTPUTS.values(), ids=OUTPUTS)
def test_a_file_in_the_way_of_a_folder_is_refused(
    seeded_url: str, tmp_path: Path, command: tuple[list[str], list[str]]
) -> None:
    args, _ = command
    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("notes\n")
    target = in_the_way / "sub" / "out.txt"
    result = invoke(seeded_url, *args, str(target))
    refused_with(
        result,
        f"cannot write {target}: {in_the_way} is a file, not a folder; "
        "choose another folder, or move that file",
    )
    assert listing(tmp_path) == {"notes.txt": b"notes\n"}


def test_summary_all_into_a_file_is_refused(seeded_url: str, tmp_path: Path) -> None:
    target = tmp_path / "summaries"
    target.write_text("a file\n")
    result = invoke(seeded_url, "summary", "--all", "-o", str(target))
    refused_with(
        result,
        f"cannot write {target}: it is a file, not a folder; give a folder for the summaries",
    )
    assert listing(tmp_path) == {"summaries": b"a file\n"}


def test_a_new_file_has_the_usual_permissions_and_an_old_one_keeps_its_own(
    seeded_url: str, tmp_path: Path
) -> None:
    old_mask = os.umask(0o022)
    try:
        fresh, kept = tmp_path / "fresh.jsonl", tmp_path / "kept.jsonl"
        kept.write_text("old\n")
        kept.chmod(0o640)
        assert invoke(seeded_url, "export", "-o", str(fresh)).exit_code == 0
        assert invoke(seeded_url, "export", "-o", str(kept)).exit_code == 0
    finally:
        os.umask(old_mask)
    # A temporary file's 0o600 would hide an export from the rest of the team.
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert kept.read_bytes() == fresh.read_bytes()


# Output: permission, read-only, full ----------------------------------------------------


def test_permission_denied_is_one_line(
    seeded_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root ignores a folder's permissions, so the refusal is made where the file is opened.
    opened = os.open

    def refuse(path: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        if os.fspath(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return opened(path, flags, mode)

    monkeypatch.setattr(files.os, "open", refuse)
    target = tmp_path / "out.jsonl"
    result = invoke(seeded_url, "export", "-o", str(target))
    refused_with(
        result, f"cannot write {target}: permission denied; choose a folder you can write to"
    )
    assert listing(tmp_path) == {}


@pytest.mark.skipif(
    getattr(os, "geteuid", lambda: 0)() == 0, reason="root ignores a folder's permissions"
)
def test_a_folder_without_write_permission_is_one_line(seeded_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        target = folder / "out.jsonl"
        result = invoke(seeded_url, "export", "-o", str(target))
        refused_with(
            result, f"cannot write {target}: permission denied; choose a folder you can write to"
        )
        assert listing(folder) == {}
    finally:
        folder.chmod(0o755)


def _old_target(where: Path) -> None:
    (where / "out.txt").write_text("old\n")


@pytest.mark.parametrize("command", OUTPUTS.values(), ids=OUTPUTS)
def test_a_read_only_file_system_is_one_line(
    seeded_url: str, tmpfs: Mounter, command: tuple[list[str], list[str]]
) -> None:
    args, _ = command
    where = tmpfs(prepare=_old_target, read_only=True)
    for target in (where / "out.txt", where / "new" / "out.txt"):
        result = invoke(seeded_url, *args, str(target))
        refused_with(result, f"cannot write {target}: {READ_ONLY}")
    assert listing(where) == {"out.txt": b"old\n"}


def test_summary_all_on_a_read_only_file_system_is_one_line(
    seeded_url: str, tmpfs: Mounter
) -> None:
    where = tmpfs(read_only=True)
    # The folder is there: its first summary cannot be written.
    result = invoke(seeded_url, "summary", "--all", "-o", str(where))
    first = where / "mosul-museum.txt"
    refused_with(
        result,
        f"cannot write {first}: the file system is read-only; no summary was written; "
        "choose a folder on a disk you can write to",
    )
    # The folder is not: it cannot be made.
    result = invoke(seeded_url, "summary", "--all", "-o", str(where / "summaries"))
    refused_with(result, f"cannot write {where / 'summaries'}: {READ_ONLY}")
    assert listing(where) == {}


@pytest.mark.parametrize("command", OUTPUTS.values(), ids=OUTPUTS)
def test_a_full_disk_is_one_line_and_leaves_the_old_file(
    seeded_url: str, tmpfs: Mounter, command: tuple[list[str], list[str]]
) -> None:
    args, _ = command
    where = tmpfs(prepare=_old_target, fill_leaving=0)
    for target in (where / "out.txt", where / "new" / "out.txt"):
        result = invoke(seeded_url, *args, str(target))
        refused_with(
            result, f"cannot write {target}: the disk is full; nothing was written; {FULL_FIX}"
        )
    # Neither a temporary file nor an empty new one, nor a folder made for it; the old
    # file as it was.
    assert listing(where) == {"out.txt": b"old\n"}


def test_summary_all_on_a_disk_that_fills_says_how_many_it_wrote(
    seeded_url: str, tmpfs: Mounter
) -> None:
    with Registry.open(seeded_url) as registry:
        texts = {
            slug: render(build_summary(registry, slug), "text")
            for slug in ("mosul-museum", "nimrud", "palmyra")
        }
    # Room for the first two summaries, by slug, and not the third.
    pages = [-(-len(texts[slug].encode()) // PAGE) for slug in texts]
    assert pages[2] > 1
    where = tmpfs(256 * 1024, fill_leaving=pages[0] + pages[1])
    folder = where / "summaries"
    result = invoke(seeded_url, "summary", "--all", "-o", str(folder))
    refused_with(
        result,
        f"cannot write {folder / 'palmyra.txt'}: the disk is full; 2 site summaries were "
        f"written before it, each whole, and no index; {FULL_FIX}",
    )
    assert listing(where) == {
        "summaries/": b"",
        "summaries/mosul-museum.txt": texts["mosul-museum"].encode(),
        "summaries/nimrud.txt": texts["nimrud"].encode(),
    }


def test_the_library_raises_cannot_write_which_is_an_oserror(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(CannotWrite) as raised:
        files.write_text(tmp_path / "folder", "text")
    assert isinstance(raised.value, OSError)
    assert str(raised.value) == f"cannot write {tmp_path / 'folder'}: {IS_A_FOLDER}"
    files.write_text(tmp_path / "a" / "b.txt", "text")
    assert (tmp_path / "a" / "b.txt").read_text() == "text"

    def fail_half_way() -> None:
        with files.atomic_text(tmp_path / "c" / "d.txt") as out:
            out.write("half")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_half_way()
    assert listing(tmp_path) == {"a/": b"", "a/b.txt": b"text", "folder/": b""}


# Input: files of the wrong kind -------------------------------------------------------


HEADER = b'{"format":"heritage-registry","version":1}\n'
SITE_LINE = b'{"type":"site","slug":"new-site","name":"New","country":"SY"}\n'
CSV_TEXT = b"site,cause,damage_level,occurred,source,quote\npalmyra,fire,minor,2015,ians,q\n"
GARBAGE = bytes((n * 167 + 13) % 256 for n in range(3000))

WRONG_KIND = {
    "JSON Lines read as CSV": (
        "events.jsonl",
        HEADER + SITE_LINE,
        "csv",
        "does not look like CSV: its first line is JSON; is it JSON Lines? use --format jsonl",
    ),
    "CSV read as JSON Lines": (
        "events.csv",
        CSV_TEXT,
        "jsonl",
        "does not look like JSON Lines: its first line reads as a row of CSV, not a JSON "
        "object; is it CSV? use --format csv",
    ),
    "binary read as JSON Lines": (
        "events.jsonl",
        GARBAGE,
        "jsonl",
        "is binary, not text; import a JSON Lines file from 'registry export'",
    ),
    "binary read as CSV": (
        "events.csv",
        GARBAGE,
        "csv",
        "is binary, not text; import a CSV file saved as UTF-8",
    ),
    "UTF-16 JSON Lines": (
        "events.jsonl",
        (HEADER + SITE_LINE).decode().encode("utf-16"),
        "jsonl",
        "is UTF-16 text, not UTF-8; save it as UTF-8",
    ),
    "UTF-16 CSV": (
        "events.csv",
        CSV_TEXT.decode().encode("utf-16"),
        "csv",
        "is UTF-16 text, not UTF-8; save it as UTF-8",
    ),
}


@pytest.mark.parametrize("case", WRONG_KIND.values(), ids=WRONG_KIND)
@pytest.mark.parametrize("given", ["--format", "the name"])
def test_a_file_of_the_wrong_kind_is_named_and_refused(
    seeded_url: str, tmp_path: Path, case: tuple[str, bytes, str, str], given: str
) -> None:
    name, data, kind, problem = case
    path = tmp_path / name
    path.write_bytes(data)
    with Registry.open(seeded_url) as registry:
        before = dump(registry.engine)
    # The format by --format, or by the file's name (a .csv file is read as CSV).
    if given == "the name":
        path = path.rename(tmp_path / ("events.csv" if kind == "csv" else "events.jsonl"))
    result = invoke(
        seeded_url, "import", str(path), *(["--format", kind] if given == "--format" else [])
    )
    refused_with(result, f"{path} {problem}")
    with Registry.open(seeded_url) as registry:
        assert dump(registry.engine) == before


@pytest.mark.parametrize("case", WRONG_KIND.values(), ids=WRONG_KIND)
def test_the_library_refuses_a_file_of_the_wrong_kind_on_line_1(
    seeded_url: str, case: tuple[str, bytes, str, str]
) -> None:
    _, data, kind, problem = case
    importer = import_csv if kind == "csv" else exchange.import_jsonl
    with Registry.open(seeded_url) as registry, pytest.raises(exchange.UnreadableFile) as raised:
        importer(registry, io.BytesIO(data))
    assert str(raised.value) == f"line 1: the file {problem}"


# Dates: unspecified digits ------------------------------------------------------------


D = dt.date
UNSPECIFIED = {
    "1984-1X": (D(1984, 10, 1), D(1984, 12, 31)),
    "2022-0X": (D(2022, 1, 1), D(2022, 9, 30)),
    "2022-1X": (D(2022, 10, 1), D(2022, 12, 31)),
    "1984-XX": (D(1984, 1, 1), D(1984, 12, 31)),
    "1984-X1": (D(1984, 1, 1), D(1984, 11, 30)),
    "1984-1X-XX": (D(1984, 10, 1), D(1984, 12, 31)),
    "198X": (D(1980, 1, 1), D(1989, 12, 31)),
    "19XX": (D(1900, 1, 1), D(1999, 12, 31)),
    "2016-03-1X": (D(2016, 3, 10), D(2016, 3, 19)),
    "2016-02-2X": (D(2016, 2, 20), D(2016, 2, 29)),
    "2015-02-2X": (D(2015, 2, 20), D(2015, 2, 28)),
    "2016-0X-3X": (D(2016, 1, 30), D(2016, 9, 30)),
    "1500-1X-25": (D(1500, 10, 25), D(1500, 12, 25)),
    "19XX-02-29": (D(1904, 2, 29), D(1996, 2, 29)),
    "1984-1X/1985": (D(1984, 10, 1), D(1985, 12, 31)),
    "1984-XX/1985-0X": (D(1984, 1, 1), D(1985, 9, 30)),
    "2016-03-1X/2016-04": (D(2016, 3, 10), D(2016, 4, 30)),
}
NOT_EDTF = (
    "is not an EDTF date; write e.g. 2015-05-23, 2015-02, 2015-04~, 2015-05-23/2016-03-25, "
    "../2015-04 or 12XX"
)
NO_DATE = (
    "names no calendar date: an X is one unspecified digit, e.g. 2016-03-1X is 10 to 19 March 2016"
)
REFUSED_DATES = {
    "2016-02-3X": NO_DATE,
    "2016-04-3X": None,  # 30 April: taken
    "2016-03-4X": NO_DATE,
    "1984-2X": NOT_EDTF,
    "1984-1X~": NOT_EDTF,
    "[1984-1X, 1990]": NOT_EDTF,
    "1985/1984-1X": "ends before it starts",
}


@pytest.mark.parametrize(("text", "span"), UNSPECIFIED.items(), ids=UNSPECIFIED)
def test_unspecified_digits_are_bounded_by_the_dates_they_can_name(
    text: str, span: tuple[dt.date, dt.date]
) -> None:
    assert dates.bounds.__wrapped__(text) == dates.Bounds(*span)
    assert dates.year_bounds.__wrapped__(text) == (span[0].year, span[1].year)


@pytest.mark.parametrize(("text", "problem"), REFUSED_DATES.items(), ids=REFUSED_DATES)
def test_unspecified_digits_no_date_has_are_refused_in_one_line(
    text: str, problem: str | None
) -> None:
    if problem is None:
        assert dates.bounds.__wrapped__(text).earliest is not None
        return
    with pytest.raises(dates.EdtfError) as raised:
        dates.bounds.__wrapped__(text)
    assert str(raised.value) == f"{text!r} {problem}"


MONTH_DATES = ["1984-1X", "2022-0X", "2022-1X", "2016-03-1X", "1500-1X-25", "1984-XX", "198X"]


@pytest.fixture
def palmyra(migrated_url: str) -> str:
    with Registry.open(migrated_url) as registry:
        registry.add_site(slug="palmyra", name="Palmyra", country="SY")
        registry.add_source(key="ians", title="Palmyra retaken", publisher="IANS")
    return migrated_url


@pytest.mark.parametrize("text", MONTH_DATES)
def test_the_library_takes_unspecified_digits(palmyra: str, text: str) -> None:
    earliest, latest = UNSPECIFIED.get(text) or (D(1980, 1, 1), D(1989, 12, 31))
    with Registry.open(palmyra) as registry:
        event = registry.add_event(
            site="palmyra",
            cause="fire",
            damage_level="minor",
            occurred=text,
            source="ians",
            quote="burnt",
        )
        monument = registry.add_monument(
            site="palmyra", slug="gate", name="Gate", kind="city_wall", built=text
        )
    assert (event.earliest, event.latest) == (earliest, latest)
    assert (monument.built_from_year, monument.built_to_year) == (earliest.year, latest.year)


@pytest.mark.parametrize("text", MONTH_DATES)
def test_the_command_takes_unspecified_digits(palmyra: str, text: str) -> None:
    earliest, latest = UNSPECIFIED.get(text) or (D(1980, 1, 1), D(1989, 12, 31))
    common = ["--source", "ians", "--quote", "burnt", "--cause", "fire", "--level", "minor"]
    added = invoke(palmyra, "add-event", "palmyra", *common, "--occurred", text)
    assert added.exit_code == 0, added.output
    built = invoke(
        palmyra,
        "add-monument",
        "palmyra",
        "gate",
        "--name",
        "Gate",
        "--kind",
        "city_wall",
        "--built",
        text,
    )
    assert built.exit_code == 0, built.output
    [event] = json.loads(invoke(palmyra, "list", "events", "--format", "json").stdout)
    assert (event["earliest"], event["latest"]) == (earliest.isoformat(), latest.isoformat())
    monument = json.loads(
        invoke(palmyra, "show", "monument", "palmyra", "gate", "--format", "json").stdout
    )
    assert (monument["built_from_year"], monument["built_to_year"]) == (
        earliest.year,
        latest.year,
    )
    # Its summary, which puts dates in words, takes it too.
    assert invoke(palmyra, "summary", "palmyra").exit_code == 0


def test_a_csv_import_takes_unspecified_digits(palmyra: str, tmp_path: Path) -> None:
    rows = "".join(f"palmyra,fire,minor,{text},ians,burnt {text}\n" for text in MONTH_DATES)
    path = tmp_path / "events.csv"
    path.write_text("site,cause,damage_level,occurred,source,quote\n" + rows)
    result = invoke(palmyra, "import", str(path))
    assert result.exit_code == 0, result.output
    events = json.loads(invoke(palmyra, "list", "events", "--format", "json").stdout)
    spans = {event["occurred"]: (event["earliest"], event["latest"]) for event in events}
    assert spans == {
        text: tuple(
            day.isoformat() for day in UNSPECIFIED.get(text, (D(1980, 1, 1), D(1989, 12, 31)))
        )
        for text in MONTH_DATES
    }


def test_a_date_no_digits_can_name_is_refused_on_every_way_in(palmyra: str, tmp_path: Path) -> None:
    common = ["--source", "ians", "--quote", "burnt", "--cause", "fire", "--level", "minor"]
    message = f"occurred: '2016-02-3X' {NO_DATE}"
    result = invoke(palmyra, "add-event", "palmyra", *common, "--occurred", "2016-02-3X")
    refused_with(result, f"invalid event: {message}")
    result = invoke(
        palmyra,
        "add-monument",
        "palmyra",
        "gate",
        "--name",
        "Gate",
        "--kind",
        "city_wall",
        "--built",
        "1984-1X~",
    )
    refused_with(result, f"invalid monument: built: '1984-1X~' {NOT_EDTF}")
    path = tmp_path / "events.csv"
    path.write_text(
        "site,cause,damage_level,occurred,source,quote\npalmyra,fire,minor,2016-02-3X,ians,burnt\n"
    )
    refused_with(invoke(palmyra, "import", str(path)), f"line 2: {message}")
    with Registry.open(palmyra) as registry, pytest.raises(InvalidRecord) as raised:
        registry.add_event(
            site="palmyra",
            cause="fire",
            damage_level="minor",
            occurred="2016-02-3X",
            source="ians",
            quote="burnt",
        )
    assert str(raised.value) == f"invalid event: {message}"
    assert json.loads(invoke(palmyra, "list", "events", "--format", "json").stdout) == []


# An import stopped by a full disk --------------------------------------------------------


EVENTS = 6_000


def _big_import(path: Path) -> int:
    """A JSON Lines file of one site, one source and EVENTS events; its record count."""
    with path.open("w") as out:
        out.write(HEADER.decode())
        out.write(SITE_LINE.decode())
        out.write('{"type":"source","key":"k","title":"T","publisher":"P"}\n')
        for number in range(EVENTS):
            record = {
                "type": "event",
                "uid": str(uuid.UUID(int=number + 1)),
                "site": "new-site",
                "cause": "fire",
                "damage_level": "minor",
                "occurred": "2015-08",
                "description": f"event {number} " + "x" * 300,
                "citations": [{"source": "k", "quote": f"quote {number}"}],
            }
            out.write(json.dumps(record) + "\n")
    return EVENTS + 2


INTERRUPTED = re.compile(
    r"Error: the database's disk is full: the import stopped after writing ([0-9,]+) of the "
    r"file's ([0-9,]+) records, in whole batches \(each record complete, in the file's "
    r"order\); free some space and run the same import again to add the other ([0-9,]+) "
    r"\(the records already present are skipped\)\n"
)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _counts(database: Path) -> tuple[int, int, int, str]:
    with sqlite3.connect(database) as connection:
        events, distinct = connection.execute(
            "SELECT COUNT(*), COUNT(DISTINCT uid) FROM damage_event"
        ).fetchone()
        (citations,) = connection.execute("SELECT COUNT(*) FROM source_citation").fetchone()
        (integrity,) = connection.execute("PRAGMA integrity_check").fetchone()
    connection.close()
    return events, distinct, citations, integrity


def test_an_import_stopped_by_a_full_disk_says_what_is_in_and_completes_when_run_again(
    sqlite_template: Path, tmpfs: Mounter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small transactions, so that a small disk holds a few of them and a few seconds do.
    monkeypatch.setattr(validate, "BATCH_SIZE", 250)
    monkeypatch.setattr(writer, "TRANSACTION_SIZE", 500)
    source = tmp_path / "big.jsonl"
    total = _big_import(source)
    # Room for a few transactions of events, each written to every index of its table.
    room = sqlite_template.stat().st_size + 2 * 1024 * 1024
    where = tmpfs(room, prepare=lambda path: shutil.copyfile(sqlite_template, path / "r.db"))
    result = invoke(f"sqlite:///{where / 'r.db'}", "import", str(source))
    assert (result.exit_code, result.stdout) == (1, "")
    match = INTERRUPTED.fullmatch(result.stderr)
    assert match, result.stderr
    written, told_total, rest = (_number(group) for group in match.groups())
    assert 0 < written < total
    assert (told_total, rest) == (total, total - written)
    # What was written is whole: every event written has its citation, and the count is
    # the site, the source and the events, in complete transactions.
    moved = tmp_path / "moved"
    moved.mkdir()
    for part in where.glob("r.db*"):
        shutil.copy2(part, moved / part.name)
    events, distinct, citations, integrity = _counts(moved / "r.db")
    assert integrity == "ok"
    assert events == distinct == citations == written - 2
    assert written % 250 == 0
    # Room again (the registry moved to a bigger disk): the same import completes it.
    result = invoke(f"sqlite:///{moved / 'r.db'}", "import", str(source))
    assert result.exit_code == 0, result.output
    assert _counts(moved / "r.db") == (EVENTS, EVENTS, EVENTS, "ok")


def test_the_library_raises_import_interrupted(
    sqlite_template: Path, tmpfs: Mounter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate, "BATCH_SIZE", 250)
    monkeypatch.setattr(writer, "TRANSACTION_SIZE", 500)
    source = tmp_path / "big.jsonl"
    total = _big_import(source)
    where = tmpfs(
        sqlite_template.stat().st_size + 512 * 1024,
        prepare=lambda path: shutil.copyfile(sqlite_template, path / "r.db"),
    )
    with Registry.open(f"sqlite:///{where / 'r.db'}") as registry:
        with pytest.raises(ImportInterrupted) as raised:
            exchange.import_path(registry, source)
        assert raised.value.total == total
        assert 0 <= raised.value.written < total
        assert registry.count_events() == max(0, raised.value.written - 2)


def test_an_import_whose_staging_folder_fills_writes_nothing(
    seeded_url: str, tmpfs: Mounter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "big.jsonl"
    _big_import(source)
    where = tmpfs(64 * 1024)
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    with Registry.open(seeded_url) as registry:
        before = dump(registry.engine)
    result = invoke(seeded_url, "import", str(source))
    refused_with(
        result,
        f"the temporary folder {where} is full: nothing was imported; free some space there, "
        "or set TMPDIR to a folder with room, and run the import again",
    )
    with Registry.open(seeded_url) as registry:
        assert dump(registry.engine) == before
    assert listing(where) == {}
