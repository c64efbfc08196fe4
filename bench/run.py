"""The heritage-registry benchmark: `python bench/run.py --events 1000000`.

Generates a synthetic registry of realistic shape (see `synthetic.py`), then measures,
in one run, against baselines built in the same run:

1. bulk import of the file through `registry import`, as a ratio to plain sqlite3
   `executemany` of the same rows into the same schema (`baseline.py`), each run
   `--repeats` times, interleaved, into fresh copies of an empty registry;
2. one site's summary, `heritage_registry.summary.build_summary`, in this process,
   median and p95 over random sites with events, and its ratio to hand-written SQL
   fetching the same rows;
3. `registry summary --all -o DIR`, `registry export -o FILE` and `registry duplicates`:
   wall time and the child's own peak RSS; `registry list events --format jsonl` (all of
   them, and `--confidence contested`) interleaved with the export, `--repeats` times;
4. `registry --help` as a ratio to `python -c "import click"`;
5. start-up: whole data commands (`list sites`, `show event`, `add-event`) as a ratio to
   `sqlite-utils query` on the same file, interleaved, where sqlite-utils is installed.

Every comparison runs its sides alternately, several times, and reports medians.

It prints a Markdown table (metric, value, target, PASS/MISS) headed by the command
line, and writes the same as JSON (`--json-out`). Times are never asserted: these
machines are noisy, and the ratios are what compare. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import baseline
import measure
import synthetic

BENCH_DIR = Path(__file__).resolve().parent
# Up to this many events every row is compared after the import; above, windows of
# VERIFY_WINDOW ids spread over each table, which keeps the check to seconds.
VERIFY_ALL_UP_TO = 20_000
VERIFY_WINDOW = 5_000
# `--summary-all-sites auto` first runs `summary --all` over this many sites, and runs
# it over every site only when that projects under `--summary-all-budget` seconds.
SUMMARY_ALL_PROBE = 1_000


@dataclass
class Metric:
    """One row of the results table."""

    key: str
    label: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    note: str = ""

    def shown(self) -> str:
        if self.value is None:
            return "skipped"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        if self.unit in ("ms", "s", "MB"):
            digits = 1 if self.value >= 100 else 2 if self.value >= 1 else 3
            return f"{self.value:,.{digits}f} {self.unit}"
        return f"{self.value:,.0f} {self.unit}".strip()

    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: ""}[self.passed]


@dataclass
class Results:
    command: str
    started: str
    shape: dict[str, int]
    metrics: list[Metric] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, metric: Metric) -> Metric:
        self.metrics.append(metric)
        return metric

    def table(self) -> str:
        lines = [
            f"`{self.command}`",
            "",
            "| Metric | Value | Target | Result |",
            "|---|---:|---|---|",
        ]
        for metric in self.metrics:
            label = metric.label + (f" ({metric.note})" if metric.note else "")
            lines.append(f"| {label} | {metric.shown()} | {metric.target} | {metric.verdict()} |")
        info = self.info
        shape = ", ".join(f"{value:,} {name}" for name, value in info.get("counts", {}).items())
        lines += [
            "",
            f"Registry: {shape}; {info.get('distinct_edtf_strings', 0):,} distinct EDTF "
            f"strings; file {info.get('file_mb', 0):,} MB (generated in "
            f"{info.get('generate_seconds', 0)} s). Baseline rows checked equal to the "
            f"import's: {info.get('baseline_compared', '-')}.",
            f"Library {info.get('library_commit')}"
            f"{' (modified)' if info.get('library_modified_since_commit') else ''}, "
            f"Python {info.get('python')}, SQLite {info.get('sqlite')}, {info.get('cpus')} CPUs, "
            f"load average {_round(info.get('load_average_1m_at_start'))} at start, "
            f"{_round(info.get('load_average_1m_at_end'))} at end; whole run "
            f"{info.get('total_seconds')} s.",
        ]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "started": self.started,
            "shape": self.shape,
            "metrics": {
                m.key: {
                    "label": m.label,
                    "value": m.value,
                    "unit": m.unit,
                    "target": m.target or None,
                    "pass": m.passed,
                    "note": m.note or None,
                }
                for m in self.metrics
            },
            "info": self.info,
        }


def _round(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value


class Bench:
    """One benchmark run: its options, its working folder, the registry command."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.shape = synthetic.Shape.for_events(
            options.events,
            sites=options.sites,
            monuments=options.monuments,
            sources=options.sources,
            seed=options.seed,
            distinct_dates=options.distinct_dates,
        )
        self.started = time.perf_counter()
        self.own_workdir = options.workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="heritage-bench-"))
            if options.workdir is None
            else Path(options.workdir)
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.created: list[Path] = []
        self.registry = registry_command()
        # The import stages the file in a temporary SQLite file; keep it in the workdir,
        # on the same disk as the registry, and cleaned up with it.
        self.env = {**os.environ, "TMPDIR": str(self.workdir)}
        self.env.pop("REGISTRY_DATABASE_URL", None)
        self.rng = random.Random(options.seed)
        self.empty: Path | None = None
        self.data: Path | None = None

    def path(self, name: str) -> Path:
        path = self.workdir / name
        self.created.append(path)
        return path

    def say(self, message: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:7.1f}s] {message}", file=sys.stderr, flush=True)

    def url(self, path: Path) -> str:
        return f"sqlite:///{path}"

    def cli(self, database: Path, *args: str, log: str, **kwargs: Any) -> measure.ChildRun:
        return measure.run_child(
            [*self.registry, "--db", self.url(database), *args],
            env=self.env,
            log=self.path(log),
            **kwargs,
        )

    def init(self, database: Path) -> None:
        """A migrated, empty registry, so that no measured command pays for migrations.

        `registry init` runs once; each other empty registry is a copy of its file (the
        WAL is checkpointed into it when `init` closes the database).
        """
        if self.empty is None:
            self.empty = self.path("empty.db")
            self.cli(self.empty, "init", log="init.log")
        shutil.copyfile(self.empty, database)

    def cleanup(self) -> None:
        if self.options.keep:
            self.say(f"kept the working files in {self.workdir}")
            return
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            return
        for path in self.created:
            for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                if candidate.is_dir():
                    shutil.rmtree(candidate, ignore_errors=True)
                else:
                    candidate.unlink(missing_ok=True)


def registry_command() -> list[str]:
    """The `registry` executable installed next to this interpreter, else `-m`."""
    executable = Path(sys.executable).parent / "registry"
    if executable.exists():
        return [str(executable)]
    return [sys.executable, "-m", "heritage_registry"]


# The measurements ---------------------------------------------------------------------


def bench_import(bench: Bench, results: Results) -> Path:
    """Generate the file, time the baseline and the import; returns the imported registry."""
    data = bench.data = bench.path("registry.jsonl")
    bench.say(
        f"generating {bench.shape.events:,} events, {bench.shape.sites:,} sites, "
        f"{bench.shape.monuments:,} monuments, {bench.shape.sources:,} sources"
    )
    started = time.perf_counter()
    generated = synthetic.generate(bench.shape, data)
    results.info["generate_seconds"] = round(time.perf_counter() - started, 2)
    results.info["file_mb"] = round(generated.bytes / 1_048_576, 1)
    results.info["counts"] = generated.counts
    results.info["distinct_edtf_strings"] = generated.distinct_dates
    bench.say(
        f"wrote {data.name}: {generated.bytes / 1_048_576:,.0f} MB, {generated.counts}, "
        f"{generated.distinct_dates:,} distinct EDTF strings"
    )

    repeats = bench.options.repeats
    import_runs: list[measure.ChildRun] = []
    baseline_runs: list[float] = []
    imported, plain = bench.path("registry.db"), bench.path("baseline.db")
    for attempt in range(repeats):
        # Each side into a fresh copy of the empty registry, the order alternating so
        # that neither always finds the disk cache the other warmed.
        for side in ("baseline", "import") if attempt % 2 == 0 else ("import", "baseline"):
            if side == "baseline":
                remove_database(plain)
                bench.init(plain)
                bench.say(f"baseline {attempt + 1}/{repeats}: sqlite3 executemany of the rows")
                baseline_runs.append(baseline.insert_rows(plain, generated))
                bench.say(f"baseline took {baseline_runs[-1]:.1f} s")
            else:
                remove_database(imported)
                bench.init(imported)
                bench.say(f"registry import {attempt + 1}/{repeats}")
                run = bench.cli(imported, "import", str(data), log="import.log")
                import_runs.append(run)
                bench.say(f"import took {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")
    del generated
    gc.collect()
    results.info["import_seconds_runs"] = [round(run.seconds, 2) for run in import_runs]
    results.info["import_baseline_seconds_runs"] = [round(value, 2) for value in baseline_runs]
    import_seconds = measure.median([run.seconds for run in import_runs])
    import_peak = max(run.peak_rss_mb for run in import_runs)
    baseline_seconds = measure.median(baseline_runs)

    window = None if bench.shape.events <= VERIFY_ALL_UP_TO else VERIFY_WINDOW
    differing = baseline.compare_tables(imported, plain, window=window)
    results.info["baseline_rows_differing"] = differing
    results.info["baseline_compared"] = (
        "every row" if window is None else f"5 windows of {window} ids per table"
    )
    if any(differing.values()):
        raise SystemExit(f"the baseline did not write what the import wrote: {differing}")
    bench.say("baseline and import hold the same rows")

    events = f"{bench.shape.events:,} events"
    runs = f"median of {repeats}"
    results.add(
        Metric("import_seconds", f"`registry import`, {events}", import_seconds, "s", note=runs)
    )
    results.add(Metric("import_peak_rss_mb", "`registry import` peak RSS", import_peak, "MB"))
    results.add(
        Metric(
            "import_baseline_seconds",
            "sqlite3 executemany baseline",
            baseline_seconds,
            "s",
            note=runs,
        )
    )
    ratio = baseline_seconds / import_seconds
    results.add(
        Metric(
            "import_ratio",
            "import speed vs baseline (baseline s / import s, medians)",
            ratio,
            "x",
            "≥ 0.30x",
            ratio >= 0.3,
        )
    )
    if not bench.options.keep_baseline_db:
        remove_database(plain)
    return imported


def remove_database(path: Path) -> None:
    """A SQLite file gone with its WAL, so that a copy put in its place starts clean."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sites_with_events(database: Path) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return [
            slug
            for (slug,) in connection.execute(
                "SELECT slug FROM site WHERE id IN (SELECT DISTINCT site_id FROM damage_event)"
                " ORDER BY slug"
            )
        ]
    finally:
        connection.close()


def bench_summary(bench: Bench, results: Results, database: Path) -> None:
    """build_summary in this process over random sites, against the SQL that fetches its rows."""
    from heritage_registry.registry import Registry
    from heritage_registry.summary import build_summary

    candidates = sites_with_events(database)
    count = min(bench.options.summaries, len(candidates))
    chosen = bench.rng.sample(candidates, count)
    taken = set(chosen)
    spare = [slug for slug in candidates if slug not in taken][:3] or chosen[:1]
    bench.say(f"summaries of {count} random sites (of {len(candidates):,} with events)")

    registry = Registry.open(bench.url(database), migrate=False)
    queries = baseline.SummaryQueries(database)
    try:
        # Statements compile on first use; a long-lived process pays that once.
        for slug in spare:
            build_summary(registry, slug)
            queries.fetch(slug)

        def timed(call: Callable[[str], object], slug: str) -> float:
            started = time.perf_counter()
            call(slug)
            return (time.perf_counter() - started) * 1000

        def library(slug: str) -> object:
            return build_summary(registry, slug)

        library_ms: list[float] = []
        baseline_ms: list[float] = []
        events: list[int] = []
        for index, slug in enumerate(chosen):
            # Alternate which goes first, so neither always finds the pages the other read.
            if index % 2:
                baseline_ms.append(timed(queries.fetch, slug))
                library_ms.append(timed(library, slug))
            else:
                library_ms.append(timed(library, slug))
                baseline_ms.append(timed(queries.fetch, slug))
            events.append(len(queries.fetch(slug)["events"]))
        # Again over the same sites: what a long-lived process sees once its caches of
        # parsed dates are warm.
        warm_ms = [timed(library, slug) for slug in chosen]
    finally:
        queries.close()
        registry.close()

    lib_median = measure.median(library_ms)
    base_median = measure.median(baseline_ms)
    results.info["summary_events_per_site"] = {
        "median": measure.median(events),
        "p95": measure.percentile(events, 0.95),
        "max": max(events),
    }
    results.add(
        Metric(
            "summary_median_ms",
            f"`build_summary` median over {count} sites, first pass",
            lib_median,
            "ms",
            "< 5 ms",
            lib_median < 5,
        )
    )
    results.add(
        Metric(
            "summary_p95_ms",
            "`build_summary` p95, first pass",
            measure.percentile(library_ms, 0.95),
            "ms",
        )
    )
    results.add(
        Metric(
            "summary_warm_median_ms",
            "`build_summary` median, second pass (dates already parsed)",
            measure.median(warm_ms),
            "ms",
        )
    )
    results.add(Metric("summary_baseline_median_ms", "hand-written SQL median", base_median, "ms"))
    ratio = lib_median / base_median
    results.add(
        Metric(
            "summary_ratio",
            "summary vs SQL baseline (library ms / SQL ms, medians)",
            ratio,
            "x",
            "< 3x",
            ratio < 3,
        )
    )


def count_dates(database: Path) -> int:
    """How many distinct EDTF strings a registry's summaries describe."""
    connection = sqlite3.connect(database)
    try:
        return int(
            connection.execute(
                """
                SELECT COUNT(*) FROM (
                    SELECT occurred FROM damage_event
                    UNION SELECT claimed_occurred FROM source_citation
                    UNION SELECT built FROM monument
                    UNION SELECT published FROM source
                        WHERE id IN (SELECT source_id FROM source_citation)
                ) WHERE occurred IS NOT NULL
                """
            ).fetchone()[0]
        )
    finally:
        connection.close()


def same_after_header(first: Path, second: Path) -> bool:
    """Whether two JSON Lines files hold the same bytes after their first line."""
    with first.open("rb") as one, second.open("rb") as two:
        one.readline()
        two.readline()
        while True:
            block = one.read(1 << 20)
            if block != two.read(1 << 20):
                return False
            if not block:
                return True


def copy_first_sites(bench: Bench, source: Path, target: Path, count: int) -> None:
    """A registry holding the first `count` sites by slug, with all their records."""
    bench.init(target)
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        connection.execute("ATTACH DATABASE ? AS full", (str(source),))
        connection.execute("BEGIN")
        connection.execute(
            "CREATE TEMP TABLE chosen AS SELECT id FROM full.site ORDER BY slug LIMIT ?",
            (count,),
        )
        statements = [
            "INSERT INTO site SELECT * FROM full.site WHERE id IN (SELECT id FROM chosen)",
            "INSERT INTO monument SELECT * FROM full.monument"
            " WHERE site_id IN (SELECT id FROM chosen)",
            "INSERT INTO source SELECT * FROM full.source",
            "INSERT INTO damage_event SELECT * FROM full.damage_event"
            " WHERE site_id IN (SELECT id FROM chosen)",
            "INSERT INTO source_citation SELECT * FROM full.source_citation"
            " WHERE event_id IN (SELECT id FROM main.damage_event)",
        ]
        for statement in statements:
            connection.execute(statement)
        connection.execute("COMMIT")
    finally:
        connection.close()


def bench_summary_all(bench: Bench, results: Results, database: Path) -> None:
    """`registry summary --all -o DIR`: over every site, or over first-sites samples.

    A sample is a registry of the first K sites by slug (the events are spread over the
    sites at random, so these are ordinary sites) with all their records. It is run at
    K/2 and at K sites; the difference gives the cost of one more site, in time and in
    peak memory, without the start-up both pay, and the totals are extrapolated from it.
    """
    total = bench.shape.sites
    fmt = bench.options.summary_format
    choice = bench.options.summary_all_sites
    results.info["summary_all_format"] = fmt
    dates_seen: dict[int, int] = {}

    def run_over(count: int) -> measure.ChildRun:
        target = database
        if count < total:
            target = bench.path(f"first-{count}-sites.db")
            copy_first_sites(bench, database, target, count)
        folder = bench.path(f"summaries-{count}")
        bench.say(f"registry summary --all --format {fmt} over {count:,} sites")
        run = bench.cli(
            target,
            "summary",
            "--all",
            "--format",
            fmt,
            "-o",
            str(folder),
            log=f"summary-all-{count}.log",
        )
        bench.say(f"took {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")
        shutil.rmtree(folder, ignore_errors=True)
        dates_seen[count] = count_dates(target)
        if count < total:
            target.unlink()
        return run

    def measured_all(run: measure.ChildRun) -> None:
        results.info["summary_all_sites_measured"] = total
        results.add(
            Metric(
                "summary_all_per_site_ms",
                "`summary --all` per site",
                run.seconds / total * 1000,
                "ms",
            )
        )
        results.add(
            Metric(
                "summary_all_seconds",
                f"`summary --all` wall, all {total:,} sites",
                run.seconds,
                "s",
            )
        )
        results.add(
            Metric(
                "summary_all_peak_rss_mb",
                "`summary --all` peak RSS",
                run.peak_rss_mb,
                "MB",
                "< 300 MB",
                run.peak_rss_mb < 300,
            )
        )

    if choice == "all" or (choice == "auto" and total <= SUMMARY_ALL_PROBE):
        measured_all(run_over(total))
        return
    sample = min(total, SUMMARY_ALL_PROBE if choice == "auto" else int(choice))
    if sample == total:
        measured_all(run_over(total))
        return
    half = run_over(sample // 2) if sample >= 10 else None
    run = run_over(sample)
    if half is not None:
        added = sample - sample // 2
        per_site = (run.seconds - half.seconds) / added
        mb_per_site: float | None = (run.peak_rss_mb - half.peak_rss_mb) / added
    else:
        per_site, mb_per_site = run.seconds / sample, None
    if (
        choice == "auto"
        and run.seconds + per_site * (total - sample) <= bench.options.summary_all_budget
    ):
        measured_all(run_over(total))
        return

    results.info["summary_all_sites_measured"] = sample
    note = f"first {sample:,} of {total:,} sites, in a registry of just those"
    results.add(
        Metric(
            "summary_all_per_site_ms",
            "`summary --all` per site",
            per_site * 1000,
            "ms",
            note=f"marginal: sites {sample // 2:,} to {sample:,}" if half else "",
        )
    )
    results.add(Metric("summary_all_seconds", "`summary --all` wall", run.seconds, "s", note=note))
    results.add(
        Metric(
            "summary_all_peak_rss_mb",
            "`summary --all` peak RSS",
            run.peak_rss_mb,
            "MB",
            "< 300 MB",
            run.peak_rss_mb < 300,
            note=note,
        )
    )
    extrapolated = run.seconds + per_site * (total - sample)
    results.info["summary_all_distinct_dates"] = {
        f"first {count} sites": seen for count, seen in sorted(dates_seen.items())
    }
    fresh = dates_seen.get(sample, 0) - dates_seen.get(sample // 2, 0)
    results.add(
        Metric(
            "summary_all_extrapolated_seconds",
            f"`summary --all` wall, EXTRAPOLATED to all {total:,} sites",
            extrapolated,
            "s",
            # Each distinct date is parsed once per process: the marginal sites still
            # parsed the dates first seen among them, which later sites would not.
            note=f"an upper bound: sites {sample // 2:,} to {sample:,} parsed {fresh:,} dates "
            "not seen before"
            if half
            else "",
        )
    )
    if mb_per_site is not None:
        peak = run.peak_rss_mb + max(0.0, mb_per_site) * (total - sample)
        results.add(
            Metric(
                "summary_all_extrapolated_peak_rss_mb",
                f"`summary --all` peak RSS, EXTRAPOLATED to all {total:,} sites",
                peak,
                "MB",
                "< 300 MB",
                peak < 300,
                note=f"{mb_per_site * 1024:.1f} KB more per site",
            )
        )


def skip_summary_all(results: Results) -> None:
    for key, label in (
        ("summary_all_per_site_ms", "`summary --all` per site"),
        ("summary_all_seconds", "`summary --all` wall"),
        ("summary_all_peak_rss_mb", "`summary --all` peak RSS"),
    ):
        results.add(Metric(key, label, None, "", note="--skip-summary-all"))


def bench_export(bench: Bench, results: Results, database: Path) -> None:
    """`registry export -o FILE` and `registry list events --format jsonl`, interleaved.

    Both stream every event; the list's peak memory is compared with the export's. The
    list with `--confidence contested` shows what a filter on confidence costs.
    """
    output = bench.path("export.jsonl")
    listed = bench.path("list-events.jsonl")
    contested = bench.path("list-contested.jsonl")
    repeats = bench.options.repeats
    runs: dict[str, list[measure.ChildRun]] = {"export": [], "list": [], "contested": []}

    def export() -> measure.ChildRun:
        return bench.cli(database, "export", "-o", str(output), log="export.log")

    def list_all() -> measure.ChildRun:
        return bench.cli(
            database, "list", "events", "--format", "jsonl", log="list.log", stdout=listed
        )

    def list_contested() -> measure.ChildRun:
        return bench.cli(
            database,
            "list",
            "events",
            "--confidence",
            "contested",
            "--format",
            "jsonl",
            log="list-contested.log",
            stdout=contested,
        )

    sides: list[tuple[str, Callable[[], measure.ChildRun]]] = [
        ("export", export),
        ("list", list_all),
        ("contested", list_contested),
    ]
    for attempt in range(repeats):
        turn = sides[attempt % len(sides) :] + sides[: attempt % len(sides)]
        for name, call in turn:
            bench.say(f"registry {name} {attempt + 1}/{repeats}")
            run = call()
            runs[name].append(run)
            bench.say(f"took {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")
    results.info["export_mb"] = round(output.stat().st_size / 1_048_576, 1)
    if bench.data is not None:
        # The generated file is written as `registry export` writes; only the headers
        # differ. Equal bytes after them show the round trip lost nothing.
        results.info["export_equals_imported_file"] = same_after_header(bench.data, output)
    with listed.open("rb") as lines:
        results.info["list_events_lines"] = sum(1 for _ in lines)
    with contested.open("rb") as lines:
        results.info["list_contested_lines"] = sum(1 for _ in lines)
    for path in (output, listed, contested):
        path.unlink()
    results.info["confidence_stored_share"] = stored_confidence_share(database)

    def seconds(name: str) -> float:
        return measure.median([run.seconds for run in runs[name]])

    def peak(name: str) -> float:
        return measure.median([run.peak_rss_mb for run in runs[name]])

    note = f"median of {repeats}"
    results.add(
        Metric("export_seconds", "`registry export` wall", seconds("export"), "s", note=note)
    )
    results.add(
        Metric(
            "export_peak_rss_mb",
            "`registry export` peak RSS",
            peak("export"),
            "MB",
            "< 300 MB",
            peak("export") < 300,
        )
    )
    results.add(
        Metric(
            "list_events_seconds",
            "`list events --format jsonl` wall, every event",
            seconds("list"),
            "s",
            note=note,
        )
    )
    results.add(
        Metric(
            "list_events_peak_rss_mb",
            "`list events --format jsonl` peak RSS",
            peak("list"),
            "MB",
            "< 300 MB",
            peak("list") < 300,
        )
    )
    results.add(
        Metric(
            "list_vs_export_rss_ratio",
            "`list events` peak RSS vs `export` peak RSS",
            peak("list") / peak("export"),
            "x",
        )
    )
    results.add(
        Metric(
            "list_contested_seconds",
            "`list events --confidence contested` wall",
            seconds("contested"),
            "s",
            note=f"{results.info['list_contested_lines']:,} events; {note}",
        )
    )
    results.add(
        Metric(
            "list_contested_peak_rss_mb",
            "`list events --confidence contested` peak RSS",
            peak("contested"),
            "MB",
            "< 300 MB",
            peak("contested") < 300,
        )
    )


def stored_confidence_share(database: Path) -> float | None:
    """The share of events whose confidence the registry has stored (the rest are NULL,
    and `--confidence` derives theirs as it reads them); None before revision 0005."""
    connection = sqlite3.connect(database)
    try:
        stored, total = connection.execute(
            "SELECT COUNT(confidence), COUNT(*) FROM damage_event"
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return round(stored / total, 4) if total else None


def bench_duplicates(bench: Bench, results: Results, database: Path) -> None:
    """`registry duplicates --format json` over the whole registry: every site's pairs."""
    output = bench.path("duplicates.json")
    bench.say("registry duplicates --format json")
    run = bench.cli(database, "duplicates", "--format", "json", log="duplicates.log", stdout=output)
    pairs = json.loads(output.read_text(encoding="utf-8"))
    output.unlink()
    bench.say(f"took {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB, {len(pairs):,} pairs")
    results.info["duplicates_pairs"] = len(pairs)
    results.add(
        Metric(
            "duplicates_seconds",
            f"`registry duplicates` wall, {len(pairs):,} pairs",
            run.seconds,
            "s",
        )
    )
    results.add(
        Metric(
            "duplicates_peak_rss_mb",
            "`registry duplicates` peak RSS",
            run.peak_rss_mb,
            "MB",
            "< 300 MB",
            run.peak_rss_mb < 300,
        )
    )


def bench_help(bench: Bench, results: Results) -> None:
    """`registry --help` against the bare interpreter importing click, interleaved."""
    runs = bench.options.help_runs
    help_argv = [*bench.registry, "--help"]
    click_argv = [sys.executable, "-c", "import click"]
    bench.say(f"registry --help and python -c 'import click', {runs} runs each")
    # One untimed run of each: the first start reads files the others find cached.
    measure.run_child(help_argv, env=bench.env)
    measure.run_child(click_argv, env=bench.env)
    help_ms: list[float] = []
    click_ms: list[float] = []
    for _ in range(runs):
        help_ms.append(measure.run_child(help_argv, env=bench.env).seconds * 1000)
        click_ms.append(measure.run_child(click_argv, env=bench.env).seconds * 1000)
    help_median, click_median = measure.median(help_ms), measure.median(click_ms)
    results.add(Metric("help_ms", "`registry --help` median", help_median, "ms"))
    results.add(Metric("import_click_ms", "`python -c 'import click'` median", click_median, "ms"))
    ratio = help_median / click_median
    results.add(Metric("help_ratio", "`--help` vs `import click`", ratio, "x", "< 2x", ratio < 2))


def sqlite_utils_command() -> list[str] | None:
    """`sqlite-utils` next to this interpreter, else on PATH; None where not installed."""
    executable = Path(sys.executable).parent / "sqlite-utils"
    if executable.exists():
        return [str(executable)]
    found = shutil.which("sqlite-utils")
    return [found] if found else None


def bench_startup(bench: Bench, results: Results, database: Path) -> None:
    """Whole data commands against `sqlite-utils query` on the same file, interleaved.

    What a person waits for: the interpreter, the imports, opening the database and the
    schema check, one small read or write. The baseline reads the sites too.
    """
    commands = ("list_sites", "show_event", "add_event")
    labels = {
        "list_sites": "`registry list sites --limit 20`",
        "show_event": "`registry show event UID`",
        "add_event": "`registry add-event ...` (one event, one citation)",
    }
    baseline_command = sqlite_utils_command()
    if baseline_command is None:
        for name in commands:
            results.add(
                Metric(f"startup_{name}_ratio", labels[name], None, "", note="no sqlite-utils")
            )
        return
    connection = sqlite3.connect(database)
    try:
        site, uid = connection.execute(
            "SELECT site.slug, damage_event.uid FROM damage_event"
            " JOIN site ON site.id = damage_event.site_id ORDER BY damage_event.id LIMIT 1"
        ).fetchone()
        (key,) = connection.execute("SELECT key FROM source ORDER BY key LIMIT 1").fetchone()
    finally:
        connection.close()
    url = ["--db", bench.url(database)]
    argv = {
        "sqlite_utils": [
            *baseline_command,
            "query",
            str(database),
            "SELECT slug, name, country, kind FROM site ORDER BY slug LIMIT 20",
        ],
        "list_sites": [*bench.registry, *url, "list", "sites", "--limit", "20"],
        "show_event": [*bench.registry, *url, "show", "event", uid],
        "add_event": [
            *bench.registry,
            *url,
            "add-event",
            site,
            "--cause",
            "explosives",
            "--level",
            "destroyed",
            "--occurred",
            "2015-08-30",
            "--source",
            key,
            "--quote",
            "The temple was blown up",
        ],
    }
    runs = bench.options.startup_runs
    bench.say(f"start-up: {', '.join(argv)}, {runs} runs each, interleaved")
    # One untimed run of each: the first start reads files the others find cached.
    for command in argv.values():
        measure.run_child(command, env=bench.env)
    seconds: dict[str, list[float]] = {name: [] for name in argv}
    names = list(argv)
    for attempt in range(runs):
        for name in names[attempt % len(names) :] + names[: attempt % len(names)]:
            seconds[name].append(measure.run_child(argv[name], env=bench.env).seconds * 1000)
    base = measure.median(seconds["sqlite_utils"])
    results.add(
        Metric(
            "startup_sqlite_utils_ms",
            "`sqlite-utils query FILE 'SELECT ... FROM site LIMIT 20'` median",
            base,
            "ms",
        )
    )
    for name in commands:
        value = measure.median(seconds[name])
        results.add(Metric(f"startup_{name}_ms", f"{labels[name]} median", value, "ms"))
        results.add(
            Metric(
                f"startup_{name}_ratio",
                f"{labels[name]} vs `sqlite-utils query`",
                value / base,
                "x",
                "≤ 2x",
                value / base <= 2,
            )
        )


# Running ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark heritage-registry against plain sqlite3 baselines.",
    )
    parser.add_argument("--events", type=int, default=100_000, help="events (100,000)")
    parser.add_argument(
        "--sites", type=int, help="sites (default: min(100000, max(10, events // 10)))"
    )
    parser.add_argument("--monuments", type=int, help="monuments (default: 3 x sites)")
    parser.add_argument(
        "--sources", type=int, help="sources (default: min(5000, max(5, events // 200)))"
    )
    parser.add_argument(
        "--distinct-dates",
        type=int,
        help="distinct EDTF dates the events carry (default: 6 per 1,000 events, 50 to 6,000)",
    )
    parser.add_argument("--seed", type=int, default=20150523, help="random seed")
    parser.add_argument(
        "--summaries", type=int, default=200, help="sites whose summary is timed (200)"
    )
    parser.add_argument(
        "--summary-all-sites",
        default="auto",
        metavar="K|all|auto",
        help="run `summary --all` over the first K sites (in a registry of just those), "
        "or all; auto (default): all when a first run over "
        f"{SUMMARY_ALL_PROBE:,} sites projects under --summary-all-budget",
    )
    parser.add_argument(
        "--summary-all-budget",
        type=float,
        default=240.0,
        metavar="SECONDS",
        help="the time auto allows `summary --all` over every site (240)",
    )
    parser.add_argument(
        "--summary-format",
        default="text",
        choices=("text", "markdown", "json", "html"),
        help="the format of `summary --all` (text, the command's default)",
    )
    parser.add_argument("--skip-summary-all", action="store_true", help="skip `summary --all`")
    parser.add_argument("--help-runs", type=int, default=10, help="runs of --help timed (10)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of each side of the import, export and list comparisons (3)",
    )
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=5,
        help="runs of each start-up command and of sqlite-utils timed (5)",
    )
    parser.add_argument(
        "--workdir", help="where the files go (default: a temporary folder, removed at the end)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the files in the workdir")
    parser.add_argument(
        "--keep-baseline-db", action="store_true", help="keep the baseline's database too"
    )
    parser.add_argument(
        "--json-out",
        type=Path,
        help="where to write the results as JSON (default: bench/results/<time>.json)",
    )
    options = parser.parse_args(argv)
    if options.summary_all_sites not in ("auto", "all") and not (
        options.summary_all_sites.isdigit() and int(options.summary_all_sites) > 0
    ):
        parser.error("--summary-all-sites takes a positive number, all or auto")
    for name in (
        "events",
        "sites",
        "sources",
        "summaries",
        "help_runs",
        "distinct_dates",
        "repeats",
        "startup_runs",
    ):
        value = getattr(options, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if options.monuments is not None and options.monuments < 0:
        parser.error("--monuments cannot be negative")
    if options.distinct_dates is not None and options.distinct_dates > 1_000_000:
        parser.error("--distinct-dates is at most 1,000,000")
    return options


def environment() -> dict[str, Any]:
    """Where the numbers come from: the machine, and the library's commit."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=BENCH_DIR.parent, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    status = git("status", "--porcelain", "--", "heritage_registry", "migrations")
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "library_commit": git("rev-parse", "--short", "HEAD"),
        "library_modified_since_commit": None if status is None else bool(status),
        "load_average_1m_at_start": measure.load_average(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    bench = Bench(options)
    shown = sys.argv if argv is None else ["bench/run.py", *argv]
    results = Results(
        command="python " + shlex.join(shown),
        started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        shape={
            "events": bench.shape.events,
            "sites": bench.shape.sites,
            "monuments": bench.shape.monuments,
            "sources": bench.shape.sources,
            "distinct_dates": bench.shape.distinct_dates,
            "seed": bench.shape.seed,
        },
        info=environment(),
    )
    try:
        database = bench_import(bench, results)
        bench_summary(bench, results, database)
        if options.skip_summary_all:
            skip_summary_all(results)
        else:
            bench_summary_all(bench, results, database)
        bench_export(bench, results, database)
        bench_duplicates(bench, results, database)
        bench_help(bench, results)
        # Last: `add-event` writes to the registry the other measurements read.
        bench_startup(bench, results, database)
    finally:
        bench.cleanup()
    results.info["load_average_1m_at_end"] = measure.load_average()
    results.info["total_seconds"] = round(time.perf_counter() - bench.started, 1)

    print(results.table())
    out = options.json_out or BENCH_DIR / "results" / (
        f"run-{bench.shape.events}-{results.started.replace(':', '')}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results.as_json(), indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
