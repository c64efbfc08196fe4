"""Timing child processes with their own peak memory, and the statistics the table shows.

`run_child` runs a command under a tiny wrapper (`python -S`, a few MB) that forks,
execs the command and reaps it with `os.wait4`. The peak RSS has to be read that way:
Linux carries a process's high-water RSS across `exec`, so a command started straight
from the benchmark (which holds a million rows in memory at one point) would report at
least the benchmark's own size. The wrapper's few MB are the floor instead, and its
`wait4` covers exactly the one command. The wrapper also times the command, so the
wrapper's own start-up is not counted, and reads the CPU time the command used, its own
and that of the processes it started and waited for (the import's workers).

`server_cpu_seconds` reads what a local PostgreSQL server's processes have used, so that a
comparison can show the work each side made the server do as well as its own.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# argv: REPORT_FILE COMMAND...; writes {"seconds", "maxrss", "cpu", "status"} to REPORT_FILE.
_WRAPPER = """
import json, os, sys, time
report, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(report, "w") as out:
    cpu = usage.ru_utime + usage.ru_stime
    json.dump({"seconds": seconds, "maxrss": usage.ru_maxrss, "cpu": cpu, "status": status}, out)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True)
class ChildRun:
    """One finished command: wall time, peak resident memory, exit status, its stderr, and
    the CPU seconds it and the children it waited for used."""

    argv: tuple[str, ...]
    seconds: float
    peak_rss_mb: float
    returncode: int
    stderr: str
    cpu_seconds: float = 0.0


class ChildFailed(RuntimeError):
    """A measured command exited with a failure; the message carries its stderr."""


def run_child(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: Path | None = None,
    log: Path | None = None,
    check: bool = True,
) -> ChildRun:
    """Run `argv` to completion under the wrapper: its wall time and its own peak RSS."""
    err_path = log or Path(os.devnull)
    out_target = stdout or Path(os.devnull)
    handle, report_name = tempfile.mkstemp(prefix="bench-child-", suffix=".json")
    os.close(handle)
    report = Path(report_name)
    try:
        with out_target.open("wb") as out, err_path.open("wb") as err:
            wrapper = [sys.executable, "-S", "-c", _WRAPPER, str(report), *argv]
            returncode = subprocess.run(
                wrapper, stdout=out, stderr=err, env=dict(env or os.environ), check=False
            ).returncode
        measured = json.loads(report.read_text(encoding="utf-8") or "{}")
    finally:
        report.unlink(missing_ok=True)
    stderr = log.read_text(encoding="utf-8", errors="replace") if log else ""
    if not measured:
        raise ChildFailed(f"could not run {' '.join(argv)}:\n{stderr[-4000:]}".rstrip())
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss_bytes = measured["maxrss"] * (1 if sys.platform == "darwin" else 1024)
    run = ChildRun(
        tuple(argv),
        measured["seconds"],
        rss_bytes / 1_048_576,
        returncode,
        stderr,
        measured["cpu"],
    )
    if check and run.returncode != 0:
        raise ChildFailed(
            f"{' '.join(argv)} exited with {run.returncode}:\n{stderr[-4000:]}".rstrip()
        )
    return run


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value at least `share` of them reach."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def load_average() -> float | None:
    """The one-minute load average, to show how busy the machine was (None if unknown)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def server_cpu_seconds(name: str = "postgres") -> float | None:
    """The CPU seconds used so far by the processes of this machine called `name` (a
    PostgreSQL server's postmaster, backends and helpers), with their reaped children's:
    the difference across a measurement is the work it made the server do. None where
    `/proc` cannot tell (not Linux), or no such process is seen (the server is elsewhere).
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total, seen = 0, False
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # Gone since the listing, or not ours to read.
        # `pid (comm) state ...`: the command name may hold spaces, so split after it.
        head, _, rest = text.rpartition(")")
        if head.partition("(")[2] != name:
            continue
        fields = rest.split()
        # utime, stime, cutime, cstime: fields 14-17 of the line, 12-15 after `comm`.
        total += sum(int(value) for value in fields[11:15])
        seen = True
    return total / ticks if seen else None
