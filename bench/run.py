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
   them, and `--confidence contested`) interleaved with the export, `--repeats` times,
   and once in each other format (table, json, csv); `registry history --limit 0`, the
   whole feed, once;
4. `registry --help` as a ratio to `python -c "import click"`;
5. start-up: whole data commands (`list sites`, `show event`, `add-event`) as a ratio to
   `sqlite-utils query` on the same file, interleaved, where sqlite-utils is installed;
6. in-process `Registry.get_event` and `Registry.list_events(site=...)` against
   hand-written SQL of the same rows;
7. with `--postgres-url` (or REGISTRY_TEST_POSTGRES_URL): `registry import` into a fresh
   migrated PostgreSQL database against psycopg 3 `COPY ... FROM STDIN` of the same rows
   into the same schema, the in-process reads there, and `list events --site` and `show
   event` whole-process against a psycopg one-liner reading the same rows;
8. with `--sizes 100000,1000000`: the import comparisons at each size, and how the cost
   per event grows with the size (linearity).

Every comparison runs its sides alternately, several times, and reports medians.

It prints a Markdown table (metric, value, target, PASS/MISS) headed by the command
line, and writes the same as JSON (`--json-out`). Times are never asserted: these
machines are noisy, and the ratios are what compare. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
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
# Where `--postgres-url` defaults from: the variable the PostgreSQL tests read.
POSTGRES_ENV = "REGISTRY_TEST_POSTGRES_URL"
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
        self.postgres = (
            Postgres(options.postgres_url, self) if options.postgres_url is not None else None
        )

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
        return self.cli_url(self.url(database), *args, log=log, **kwargs)

    def cli_url(self, url: str, *args: str, log: str, **kwargs: Any) -> measure.ChildRun:
        return measure.run_child(
            [*self.registry, "--db", url, *args],
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
        if self.postgres is not None:
            self.postgres.drop_all()
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


class Postgres:
    """Scratch databases on a PostgreSQL server, made through its `postgres` database.

    `registry init` migrates one empty database once (`bench_<pid>_empty`); every other
    is `CREATE DATABASE bench_<pid>_<n> TEMPLATE` it, so no measured command pays for
    migrations. All are dropped at the end, whatever happened.
    """

    def __init__(self, server_url: str, bench: Bench) -> None:
        import sqlalchemy as sa

        from heritage_registry.db import resolve_url

        self.bench = bench
        self.server = sa.make_url(resolve_url(server_url))
        self.admin = baseline.libpq_url(self.url_of("postgres"))
        self.prefix = f"bench_{os.getpid()}"
        self.count = 0
        self.live: list[str] = []
        self.template: str | None = None

    def url_of(self, name: str) -> str:
        return str(self.server.set(database=name).render_as_string(hide_password=False))

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(statement)

    def create(self) -> str:
        """A fresh, migrated, empty registry; its URL."""
        if self.template is None:
            self.template = f"{self.prefix}_empty"
            self._admin(f'CREATE DATABASE "{self.template}"')
            self.live.append(self.template)
            self.bench.cli_url(self.url_of(self.template), "init", log="pg-init.log")
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.live.append(name)
        return self.url_of(name)

    def server_cpu(self) -> float | None:
        """The server's CPU seconds so far (`measure.server_cpu_seconds`); None unless the
        server runs on this machine and its processes can be read."""
        if self.server.host not in (None, "", "localhost", "127.0.0.1", "::1"):
            return None
        return measure.server_cpu_seconds()

    def server_cpu_since(self, before: float | None) -> float | None:
        """The server's CPU seconds since the reading `before` (None if either is None)."""
        now = self.server_cpu()
        return None if now is None or before is None else now - before

    def drop(self, url: str) -> None:
        name = baseline.database_name(url)
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.live:
            self.live.remove(name)

    def drop_all(self) -> None:
        for name in list(reversed(self.live)):
            try:
                self.drop(self.url_of(name))
            except Exception as exc:  # the rest still go; say which one stayed
                self.bench.say(f"could not drop the database {name}: {exc}")


def registry_command() -> list[str]:
    """The `registry` executable installed next to this interpreter, else `-m`."""
    executable = Path(sys.executable).parent / "registry"
    if executable.exists():
        return [str(executable)]
    return [sys.executable, "-m", "heritage_registry"]


# The measurements ---------------------------------------------------------------------


@dataclass
class Imported:
    """What an import comparison left: the registries, and the medians in seconds."""

    events: int
    database: Path
    import_seconds: float
    baseline_seconds: float
    postgres_url: str | None = None
    postgres_import_seconds: float | None = None
    postgres_copy_seconds: float | None = None
    # The COPY of the import's history entries into the COPY baseline's registry.
    postgres_history_rows: int | None = None
    postgres_history_copy_seconds: float | None = None
    # CPU seconds of each side, (client, server) medians, where the server's can be read.
    postgres_import_cpu: tuple[float, float] | None = None
    postgres_copy_cpu: tuple[float, float] | None = None


def bench_import(
    bench: Bench, results: Results, shape: synthetic.Shape, *, main: bool = True
) -> Imported:
    """Generate the file, time the baselines and the imports; returns the registries.

    With `main` false (the smaller sizes of `--sizes`) nothing is added to the table:
    the medians go to the JSON and into the linearity rows, and the registries are
    removed.
    """
    tag = "" if main else f"-{shape.events}"
    data = bench.path(f"registry{tag}.jsonl")
    if main:
        bench.data = data
    bench.say(
        f"generating {shape.events:,} events, {shape.sites:,} sites, "
        f"{shape.monuments:,} monuments, {shape.sources:,} sources"
    )
    started = time.perf_counter()
    generated = synthetic.generate(shape, data)
    info: dict[str, Any] = results.info if main else {}
    info["generate_seconds"] = round(time.perf_counter() - started, 2)
    info["file_mb"] = round(generated.bytes / 1_048_576, 1)
    info["counts"] = generated.counts
    info["distinct_edtf_strings"] = generated.distinct_dates
    bench.say(
        f"wrote {data.name}: {generated.bytes / 1_048_576:,.0f} MB, {generated.counts}, "
        f"{generated.distinct_dates:,} distinct EDTF strings"
    )

    repeats = bench.options.repeats
    import_runs: list[measure.ChildRun] = []
    baseline_runs: list[float] = []
    imported, plain = bench.path(f"registry{tag}.db"), bench.path(f"baseline{tag}.db")
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
    postgres = bench_postgres_import(bench, info, shape, data, generated)
    del generated
    gc.collect()
    info["import_seconds_runs"] = [round(run.seconds, 2) for run in import_runs]
    info["import_baseline_seconds_runs"] = [round(value, 2) for value in baseline_runs]
    import_seconds = measure.median([run.seconds for run in import_runs])
    import_peak = max(run.peak_rss_mb for run in import_runs)
    baseline_seconds = measure.median(baseline_runs)

    window = None if shape.events <= VERIFY_ALL_UP_TO else VERIFY_WINDOW
    differing = baseline.compare_tables(imported, plain, window=window)
    info["baseline_rows_differing"] = differing
    info["baseline_compared"] = (
        "every row" if window is None else f"5 windows of {window} ids per table"
    )
    if any(differing.values()):
        raise SystemExit(f"the baseline did not write what the import wrote: {differing}")
    bench.say("baseline and import hold the same rows")
    done = Imported(shape.events, imported, import_seconds, baseline_seconds)
    if postgres is not None:
        done.postgres_url, done.postgres_import_seconds, done.postgres_copy_seconds = (
            postgres[0],
            measure.median(postgres[1]),
            measure.median(postgres[2]),
        )
        done.postgres_history_rows, done.postgres_history_copy_seconds = postgres[3]
        done.postgres_import_cpu, done.postgres_copy_cpu = postgres[4], postgres[5]
    if not main:
        remove_database(plain)
        remove_database(imported)
        data.unlink()
        if done.postgres_url is not None and bench.postgres is not None:
            bench.postgres.drop(done.postgres_url)
        results.info.setdefault("sizes", {})[str(shape.events)] = info
        return done

    events = f"{shape.events:,} events"
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
    add_postgres_import_metrics(bench, results, done)
    if not bench.options.keep_baseline_db:
        remove_database(plain)
    return done


def bench_postgres_import(
    bench: Bench,
    info: dict[str, Any],
    shape: synthetic.Shape,
    data: Path,
    generated: synthetic.Generated,
) -> (
    tuple[
        str,
        list[float],
        list[float],
        tuple[int, float],
        tuple[float, float] | None,
        tuple[float, float] | None,
    ]
    | None
):
    """`registry import` into PostgreSQL against psycopg COPY of the same rows, interleaved.

    Each side into a fresh database made from the migrated template. The last import's
    database is kept for the read measurements (its URL is returned with the runs);
    the rest are dropped once compared or replaced. Where the server runs on this
    machine, the CPU each side used, its own and the server's, is returned too (medians):
    on a machine of few cores, what bounds the import is the work it makes, not waiting.
    """
    postgres = bench.postgres
    if postgres is None:
        return None
    repeats = bench.options.repeats
    import_runs: list[measure.ChildRun] = []
    copy_runs: list[float] = []
    # (client, server) CPU seconds of each run; the server's None where it cannot be read.
    import_cpu: list[tuple[float, float | None]] = []
    copy_cpu: list[tuple[float, float | None]] = []
    imported: str | None = None
    copied: str | None = None
    for attempt in range(repeats):
        for side in ("copy", "import") if attempt % 2 == 0 else ("import", "copy"):
            url = postgres.create()
            if side == "copy":
                if copied is not None:
                    postgres.drop(copied)
                copied = url
                bench.say(f"PostgreSQL baseline {attempt + 1}/{repeats}: psycopg COPY of the rows")
                server_before, client_before = postgres.server_cpu(), time.process_time()
                copy_runs.append(baseline.copy_rows(url, generated))
                copy_cpu.append(
                    (time.process_time() - client_before, postgres.server_cpu_since(server_before))
                )
                bench.say(f"COPY took {copy_runs[-1]:.1f} s")
            else:
                if imported is not None:
                    postgres.drop(imported)
                imported = url
                bench.say(f"registry import into PostgreSQL {attempt + 1}/{repeats}")
                server_before = postgres.server_cpu()
                run = bench.cli_url(url, "import", str(data), log="pg-import.log")
                import_runs.append(run)
                import_cpu.append((run.cpu_seconds, postgres.server_cpu_since(server_before)))
                bench.say(f"import took {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")
    assert imported is not None
    assert copied is not None
    window = None if shape.events <= VERIFY_ALL_UP_TO else VERIFY_WINDOW
    differing = baseline.compare_postgres(imported, copied, window=window)
    bench.say("COPY of the import's history entries into the baseline's database")
    history = baseline.copy_history(imported, copied)
    postgres.drop(copied)
    info["postgres_baseline_rows_differing"] = differing
    if any(differing.values()):
        raise SystemExit(f"the COPY baseline did not write what the import wrote: {differing}")
    bench.say("COPY baseline and PostgreSQL import hold the same rows")
    info["postgres_import_seconds_runs"] = [round(run.seconds, 2) for run in import_runs]
    info["postgres_import_peak_rss_mb"] = round(max(run.peak_rss_mb for run in import_runs), 1)
    info["postgres_copy_seconds_runs"] = [round(value, 2) for value in copy_runs]
    info["postgres_history_rows"] = history[0]
    info["postgres_history_copy_seconds"] = round(history[1], 2)
    info["postgres_import_cpu_runs"] = [_rounded(pair) for pair in import_cpu]
    info["postgres_copy_cpu_runs"] = [_rounded(pair) for pair in copy_cpu]
    return (
        imported,
        [run.seconds for run in import_runs],
        copy_runs,
        history,
        _cpu_medians(import_cpu),
        _cpu_medians(copy_cpu),
    )


def _rounded(pair: tuple[float, float | None]) -> list[float | None]:
    return [None if value is None else round(value, 2) for value in pair]


def _cpu_medians(runs: list[tuple[float, float | None]]) -> tuple[float, float] | None:
    """The median client and server CPU seconds of runs, if the server's was read in each."""
    servers = [server for _client, server in runs if server is not None]
    if not runs or len(servers) != len(runs):
        return None
    return measure.median([client for client, _server in runs]), measure.median(servers)


def add_postgres_import_metrics(bench: Bench, results: Results, done: Imported) -> None:
    """The PostgreSQL import rows: events per second of each side, and their ratio."""
    keys = (
        "postgres_import_events_per_s",
        "postgres_copy_events_per_s",
        "postgres_import_ratio",
        "postgres_import_ratio_with_history",
    )
    if done.postgres_import_seconds is None or done.postgres_copy_seconds is None:
        for key in keys:
            results.add(Metric(key, f"PostgreSQL: {key}", None, "", note="no --postgres-url"))
        return
    runs = f"median of {bench.options.repeats}"
    imported = done.events / done.postgres_import_seconds
    copied = done.events / done.postgres_copy_seconds
    results.add(
        Metric(
            "postgres_import_events_per_s",
            f"PostgreSQL: `registry import`, {done.events:,} events",
            imported,
            "events/s",
            note=f"{done.postgres_import_seconds:.1f} s, {runs}",
        )
    )
    results.add(
        Metric(
            "postgres_copy_events_per_s",
            "PostgreSQL: psycopg `COPY ... FROM STDIN` baseline",
            copied,
            "events/s",
            note=f"{done.postgres_copy_seconds:.1f} s, {runs}",
        )
    )
    ratio = done.postgres_copy_seconds / done.postgres_import_seconds
    results.add(
        Metric(
            "postgres_import_ratio",
            "PostgreSQL import speed vs COPY (COPY s / import s, medians)",
            ratio,
            "x",
            "≥ 0.50x",
            ratio >= 0.5,
        )
    )
    if done.postgres_import_cpu is not None and done.postgres_copy_cpu is not None:
        add_postgres_cpu_metrics(
            results, done.postgres_copy_seconds, done.postgres_import_cpu, done.postgres_copy_cpu
        )
    if done.postgres_history_copy_seconds is not None:
        # The baseline with what the import writes besides those rows: each record's
        # creation in history. One COPY of them, added to the COPY median.
        everything = done.postgres_copy_seconds + done.postgres_history_copy_seconds
        results.add(
            Metric(
                "postgres_import_ratio_with_history",
                "PostgreSQL import vs COPY of the same rows and the import's "
                f"{done.postgres_history_rows:,} history entries ((COPY s + history COPY s) "
                "/ import s)",
                everything / done.postgres_import_seconds,
                "x",
                note=f"history COPY {done.postgres_history_copy_seconds:.1f} s",
            )
        )


def add_postgres_cpu_metrics(
    results: Results,
    copy_seconds: float,
    import_cpu: tuple[float, float],
    copy_cpu: tuple[float, float],
) -> None:
    """What each side of the PostgreSQL comparison cost in CPU, and the ratio the import
    would reach were every core busy throughout its run.

    COPY's work is the server's, on one core; the import's is spread over its process,
    its workers and the server. On a machine of few cores the sum bounds the import's
    time from below (its CPU seconds over the cores), whatever it overlaps: the last
    row is the ratio at that bound, the best this much work allows here.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    for key, label, (client, server) in (
        ("postgres_import_cpu_s", "PostgreSQL import", import_cpu),
        ("postgres_copy_cpu_s", "PostgreSQL COPY baseline", copy_cpu),
    ):
        results.add(
            Metric(
                key,
                f"{label}: CPU seconds, its own and the server's",
                client + server,
                "s",
                note=f"client {client:.1f} s + server {server:.1f} s, medians",
            )
        )
    fastest = (import_cpu[0] + import_cpu[1]) / (cores or 1)
    results.add(
        Metric(
            "postgres_import_ratio_cpu_bound",
            f"PostgreSQL import vs COPY were all {cores} cores busy throughout the import"
            " (COPY s / (import CPU s / cores))",
            copy_seconds / fastest,
            "x",
            note="the ceiling of the ratio for this much work on this machine",
        )
    )


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


def random_uids(bench: Bench, database: Path, count: int) -> list[str]:
    """`count` event uids drawn at random (by row id, so without reading every uid)."""
    connection = sqlite3.connect(database)
    try:
        (top,) = connection.execute("SELECT COALESCE(MAX(id), 0) FROM damage_event").fetchone()
        ids = bench.rng.sample(range(1, int(top) + 1), min(count, int(top)))
        return [
            uid
            for (uid,) in connection.execute(
                f"SELECT uid FROM damage_event WHERE id IN ({', '.join(map(str, ids))})"
            )
        ]
    finally:
        connection.close()


def bench_reads(
    bench: Bench,
    results: Results,
    database: Path,
    postgres_url: str | None,
    uids: list[str],
    slugs: list[str],
) -> None:
    """In-process `get_event` and `list_events(site=...)` against hand-written SQL.

    On SQLite, and on the PostgreSQL import's database when there is one: for each uid
    (each site) the library call and the SQL that reads the same rows
    (`baseline.EventQueries`), alternating which goes first; medians of each and their
    ratio. A few calls of each first, untimed, so statement compilation is not charged.
    """
    engines: list[tuple[str, str, Any, str]] = [("", "SQLite", baseline.connect(database), "?")]
    if postgres_url is not None:
        import psycopg

        # Statistics first, as autovacuum would gather them sooner or later: a freshly
        # loaded database has none, and the planner then joins citations through their
        # sources (a scan per source), which made the SQL side 10x slower than the
        # library's, whose statements happen to plan well. Both sides read after it.
        with psycopg.connect(baseline.libpq_url(postgres_url), autocommit=True) as analyze:
            analyze.execute("ANALYZE")
        engines.append(
            ("postgres_", "PostgreSQL", psycopg.connect(baseline.libpq_url(postgres_url)), "%s")
        )
    from heritage_registry.registry import Registry

    for prefix, engine, connection, marker in engines:
        url = bench.url(database) if not prefix else str(postgres_url)
        registry = Registry.open(url, migrate=False)
        queries = baseline.EventQueries(connection, marker)
        try:
            bench.say(
                f"{engine}: get_event over {len(uids):,} uids, list_events over "
                f"{len(slugs):,} sites, against SQL"
            )
            sides: dict[str, tuple[Callable[[str], object], Callable[[str], object], list[str]]] = {
                "get_event": (registry.get_event, queries.event, uids),
                "list_events": (
                    functools.partial(list_site_events, registry),
                    queries.site_events,
                    slugs,
                ),
            }
            for name, (library, sql, keys) in sides.items():
                for key in keys[:3]:
                    library(key)
                    sql(key)
                library_ms, sql_ms = alternate(library, sql, keys)
                lib_median, sql_median = measure.median(library_ms), measure.median(sql_ms)
                ratio = lib_median / sql_median
                what = (
                    f"`get_event` median over {len(keys):,} uids"
                    if name == "get_event"
                    else f"`list_events(site=...)` median over {len(keys):,} sites"
                )
                results.add(Metric(f"{prefix}{name}_ms", f"{engine}: {what}", lib_median, "ms"))
                results.add(
                    Metric(
                        f"{prefix}{name}_sql_ms",
                        f"{engine}: hand-written SQL of the same rows, median",
                        sql_median,
                        "ms",
                    )
                )
                target = "< 4x" if name == "get_event" else ""
                results.add(
                    Metric(
                        f"{prefix}{name}_ratio",
                        f"{engine}: `{name}` vs SQL (library ms / SQL ms, medians)",
                        ratio,
                        "x",
                        target,
                        ratio < 4 if target else None,
                    )
                )
        finally:
            registry.close()
            connection.close()


def list_site_events(registry: Any, slug: str) -> object:
    return registry.list_events(site=slug)


def alternate(
    first: Callable[[str], object], second: Callable[[str], object], keys: Sequence[str]
) -> tuple[list[float], list[float]]:
    """Each of two calls on every key, in ms, alternating which goes first."""
    one: list[float] = []
    two: list[float] = []
    for index, key in enumerate(keys):
        order = ((first, one), (second, two))
        for call, into in order if index % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            call(key)
            into.append((time.perf_counter() - started) * 1000)
    return one, two


# A psycopg one-liner: argv URL ARG STATEMENT...; prints the rows of each statement, each
# taking ARG as its one parameter. What a script reading the same rows would do.
PSYCOPG_QUERY = """
import sys, psycopg
url, arg, *statements = sys.argv[1:]
with psycopg.connect(url) as connection:
    for statement in statements:
        for row in connection.execute(statement, (arg,)):
            print(row)
"""


def bench_postgres_startup(bench: Bench, results: Results, url: str) -> None:
    """`list events --site` and `show event` on PostgreSQL, whole process, against a
    psycopg one-liner reading the same rows, interleaved, `--startup-runs` times."""
    import psycopg

    with psycopg.connect(baseline.libpq_url(url)) as connection:
        # The site with most events, and one event of it.
        row = connection.execute(
            "SELECT s.slug, COUNT(*), MIN(e.uid) FROM damage_event AS e"
            " JOIN site AS s ON s.id = e.site_id GROUP BY s.slug ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
    assert row is not None
    slug, count, uid = row
    queries = baseline.EventQueries(None, "%s")
    by_slug = "(SELECT id FROM site WHERE slug = %s)"
    by_uid = "(SELECT id FROM damage_event WHERE uid = %s)"
    site_events = queries.site_events_sql.replace("%s", by_slug)
    site_citations = queries.site_citations_sql.replace("%s", by_slug)
    citations = queries.citations_sql.replace("%s", by_uid)
    one_liner = [sys.executable, "-c", PSYCOPG_QUERY, baseline.libpq_url(url)]
    argv = {
        "list_site": [*bench.registry, "--db", url, "list", "events", "--site", slug],
        "list_site_sql": [*one_liner, slug, site_events, site_citations],
        "show_event": [*bench.registry, "--db", url, "show", "event", uid],
        "show_event_sql": [*one_liner, uid, queries.event_sql, citations],
    }
    runs = bench.options.startup_runs
    bench.say(f"PostgreSQL start-up: {', '.join(argv)}, {runs} runs each, interleaved")
    for command in argv.values():
        measure.run_child(command, env=bench.env)
    seconds: dict[str, list[float]] = {name: [] for name in argv}
    names = list(argv)
    for attempt in range(runs):
        for name in names[attempt % len(names) :] + names[: attempt % len(names)]:
            seconds[name].append(measure.run_child(argv[name], env=bench.env).seconds * 1000)
    labels = {
        "list_site": f"`list events --site SLUG` ({count:,} events)",
        "show_event": "`show event UID`",
    }
    for name, label in labels.items():
        mine, theirs = measure.median(seconds[name]), measure.median(seconds[f"{name}_sql"])
        results.add(Metric(f"postgres_{name}_ms", f"PostgreSQL: {label} median", mine, "ms"))
        results.add(
            Metric(
                f"postgres_{name}_sql_ms",
                "PostgreSQL: psycopg one-liner reading the same rows, median",
                theirs,
                "ms",
            )
        )
        results.add(
            Metric(
                f"postgres_{name}_ratio",
                f"PostgreSQL: {label} vs psycopg one-liner, whole process",
                mine / theirs,
                "x",
            )
        )


def add_linearity(results: Results, smaller: Imported, larger: Imported) -> None:
    """How the import's cost per event grows from one size to a larger one, both engines.

    Ratio = (seconds at the larger size / seconds at the smaller) / (larger / smaller
    events): 1.0 is linear; the issue's target is at most 1.3 (the 1M run within 1.3x of
    ten times the 100k run), for the baselines too.
    """
    scale = larger.events / smaller.events
    sides = [
        ("import", "`registry import`", smaller.import_seconds, larger.import_seconds),
        ("baseline", "sqlite3 baseline", smaller.baseline_seconds, larger.baseline_seconds),
        (
            "postgres_import",
            "PostgreSQL `registry import`",
            smaller.postgres_import_seconds,
            larger.postgres_import_seconds,
        ),
        (
            "postgres_copy",
            "PostgreSQL COPY baseline",
            smaller.postgres_copy_seconds,
            larger.postgres_copy_seconds,
        ),
    ]
    for key, label, small, large in sides:
        if small is None or large is None:
            continue
        ratio = (large / small) / scale
        results.add(
            Metric(
                f"linearity_{key}_{smaller.events}_{larger.events}",
                f"{label}: cost per event at {larger.events:,} vs at {smaller.events:,}",
                ratio,
                "x",
                "≤ 1.30x",
                ratio <= 1.3,
                note=f"{small:.1f} s → {large:.1f} s for {scale:g}x the events",
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


# The formats of `list events` other than JSON Lines (which `bench_export` runs).
LIST_FORMATS = ("table", "json", "csv")


def bench_streamed_once(
    bench: Bench,
    results: Results,
    database: Path,
    key: str,
    label: str,
    arguments: Sequence[str],
) -> measure.ChildRun:
    """Run `registry ARGUMENTS` once, its output to a file: wall time and peak RSS as
    `KEY_seconds` and `KEY_peak_rss_mb` (< 300 MB: the command streams what it writes)."""
    output = bench.path(f"{key}.out")
    bench.say(f"registry {' '.join(arguments)}")
    run = bench.cli(database, *arguments, log=f"{key}.log", stdout=output)
    bench.say(f"took {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")
    results.info[f"{key}_mb"] = round(output.stat().st_size / 1_048_576, 1)
    output.unlink()
    results.add(Metric(f"{key}_seconds", f"{label} wall", run.seconds, "s", note="one run"))
    results.add(
        Metric(
            f"{key}_peak_rss_mb",
            f"{label} peak RSS",
            run.peak_rss_mb,
            "MB",
            "< 300 MB",
            run.peak_rss_mb < 300,
        )
    )
    return run


def bench_list_formats(bench: Bench, results: Results, database: Path) -> None:
    """`registry list events --format F` of every event, once per other format, and
    `registry history --limit 0 --format jsonl`, the whole registry's history (the feed a
    downstream copy keeps itself current from), once: each is written a page at a time, so
    its peak memory should not grow with the registry (before, a million events as JSON
    would have held about 16 GB)."""
    for output_format in LIST_FORMATS:
        bench_streamed_once(
            bench,
            results,
            database,
            f"list_events_{output_format}",
            f"`list events --format {output_format}`, every event,",
            ["list", "events", "--format", output_format],
        )
    bench_streamed_once(
        bench,
        results,
        database,
        "feed",
        "`history --limit 0 --format jsonl`",
        ["history", "--limit", "0", "--format", "jsonl"],
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
        "--get-events",
        type=int,
        default=500,
        metavar="N",
        help="random uids `get_event` is timed on, against SQL (500)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV) or None,
        metavar="URL",
        help="a PostgreSQL server on which to create scratch databases (through its "
        "`postgres` database; each is dropped at the end), for the PostgreSQL rows; "
        f"default: ${POSTGRES_ENV} if set, else those rows are skipped",
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help=f"skip PostgreSQL even if ${POSTGRES_ENV} is set"
    )
    parser.add_argument(
        "--sizes",
        metavar="N,N,...",
        help="run the import comparisons at each size, the whole benchmark at the largest "
        "(instead of --events), and report the cost per event of each size against the "
        "largest: e.g. 100000,1000000",
    )
    parser.add_argument(
        "--imports-only",
        action="store_true",
        help="run only the import comparisons (with --sizes, at each size, and the "
        "linearity rows): the rest of the benchmark at a million events takes longer",
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
    if options.no_postgres:
        options.postgres_url = None
    if options.sizes is not None:
        try:
            sizes = sorted({int(part.replace("_", "")) for part in options.sizes.split(",")})
        except ValueError:
            parser.error("--sizes takes whole numbers separated by commas: 100000,1000000")
        if len(sizes) < 2 or sizes[0] < 1:
            parser.error("--sizes takes at least two sizes, each at least 1")
        options.sizes = sizes
        options.events = sizes[-1]
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
        "get_events",
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


def bench_after_import(
    bench: Bench, results: Results, options: argparse.Namespace, done: Imported
) -> None:
    """Everything but the import comparisons, on the registry the import made."""
    database = done.database
    bench_summary(bench, results, database)
    slugs = sites_with_events(database)
    bench_reads(
        bench,
        results,
        database,
        done.postgres_url,
        random_uids(bench, database, options.get_events),
        bench.rng.sample(slugs, min(options.summaries, len(slugs))),
    )
    if done.postgres_url is not None:
        bench_postgres_startup(bench, results, done.postgres_url)
    if options.skip_summary_all:
        skip_summary_all(results)
    else:
        bench_summary_all(bench, results, database)
    bench_export(bench, results, database)
    bench_list_formats(bench, results, database)
    bench_duplicates(bench, results, database)
    bench_help(bench, results)
    # Last: `add-event` writes to the registry the other measurements read.
    bench_startup(bench, results, database)


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
        smaller = [
            bench_import(
                bench,
                results,
                synthetic.Shape.for_events(size, seed=options.seed),
                main=False,
            )
            for size in (options.sizes or [])[:-1]
        ]
        done = bench_import(bench, results, bench.shape)
        for each in smaller:
            add_linearity(results, each, done)
        if not options.imports_only:
            bench_after_import(bench, results, options, done)
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
