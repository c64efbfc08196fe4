"""The benchmark runs end to end at a small scale and reports every metric as a number.

No timing is asserted: the numbers depend on the machine. What is checked is that
`bench/run.py` completes (which includes its own check that the sqlite3 baseline, and on
PostgreSQL the COPY baseline, wrote exactly the rows the import wrote) and that its JSON
carries each metric. The PostgreSQL rows need REGISTRY_TEST_POSTGRES_URL; without it
their test skips and says why.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
POSTGRES_ENV = "REGISTRY_TEST_POSTGRES_URL"
TABLES = ["site", "monument", "source", "damage_event", "source_citation"]

METRICS = [
    "import_seconds",
    "import_peak_rss_mb",
    "import_baseline_seconds",
    "import_ratio",
    "summary_median_ms",
    "summary_p95_ms",
    "summary_warm_median_ms",
    "summary_baseline_median_ms",
    "summary_ratio",
    "summary_all_per_site_ms",
    "summary_all_seconds",
    "summary_all_peak_rss_mb",
    "export_seconds",
    "export_peak_rss_mb",
    "list_events_seconds",
    "list_events_peak_rss_mb",
    "list_vs_export_rss_ratio",
    "list_contested_seconds",
    "list_contested_peak_rss_mb",
    "list_events_table_seconds",
    "list_events_table_peak_rss_mb",
    "list_events_json_seconds",
    "list_events_json_peak_rss_mb",
    "list_events_csv_seconds",
    "list_events_csv_peak_rss_mb",
    "feed_seconds",
    "feed_peak_rss_mb",
    "duplicates_seconds",
    "duplicates_peak_rss_mb",
    "help_ms",
    "import_click_ms",
    "help_ratio",
    "get_event_ms",
    "get_event_sql_ms",
    "get_event_ratio",
    "list_events_ms",
    "list_events_sql_ms",
    "list_events_ratio",
    "linearity_import_1000_2000",
    "linearity_baseline_1000_2000",
]
# Reported where a PostgreSQL server is named (REGISTRY_TEST_POSTGRES_URL).
POSTGRES_METRICS = [
    "postgres_import_events_per_s",
    "postgres_copy_events_per_s",
    "postgres_import_ratio",
    "postgres_import_ratio_with_history",
    "linearity_postgres_import_1000_2000",
    "linearity_postgres_copy_1000_2000",
    "postgres_get_event_ms",
    "postgres_get_event_sql_ms",
    "postgres_get_event_ratio",
    "postgres_list_events_ms",
    "postgres_list_events_sql_ms",
    "postgres_list_events_ratio",
    "postgres_list_site_ms",
    "postgres_list_site_sql_ms",
    "postgres_list_site_ratio",
    "postgres_show_event_ms",
    "postgres_show_event_sql_ms",
    "postgres_show_event_ratio",
]
# Reported where sqlite-utils is installed (a development tool, not a dependency).
STARTUP_METRICS = [
    "startup_list_sites_ratio",
    "startup_show_event_ratio",
    "startup_add_event_ratio",
]


def _has_sqlite_utils() -> bool:
    return (Path(sys.executable).parent / "sqlite-utils").exists() or bool(
        shutil.which("sqlite-utils")
    )


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The small benchmark, run once for the tests below: its JSON.

    On the PostgreSQL server the PostgreSQL tests use (REGISTRY_TEST_POSTGRES_URL, which
    `bench/run.py` reads as its `--postgres-url`) where one is named, else without it.
    """
    out = tmp_path_factory.mktemp("bench") / "results.json"
    command = [
        sys.executable,
        "bench/run.py",
        # The import comparisons at 1,000 events, then everything at 2,000: the linearity rows.
        "--sizes",
        "1000,2000",
        "--get-events",
        "50",
        "--sites",
        "200",
        "--monuments",
        "600",
        "--sources",
        "50",
        "--summaries",
        "20",
        "--repeats",
        "2",
        "--startup-runs",
        "1",
        "--help-runs",
        "3",
        "--json-out",
        str(out),
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| Metric | Value | Target | Result |" in done.stdout
    results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return results


def test_small_run_reports_every_metric(small_run: dict[str, Any]) -> None:
    results = small_run
    assert results["shape"]["events"] == 2000
    assert results["info"]["baseline_rows_differing"] == dict.fromkeys(TABLES, 0)
    for name in METRICS:
        assert _is_number(results["metrics"][name]["value"]), name
    assert results["info"]["sizes"]["1000"]["counts"]["events"] == 1000
    for name in (
        "import_ratio",
        "summary_median_ms",
        "summary_ratio",
        "help_ratio",
        "get_event_ratio",
        "linearity_import_1000_2000",
    ):
        assert results["metrics"][name]["pass"] in (True, False), name
    assert len(results["info"]["import_seconds_runs"]) == 2
    assert results["info"]["list_events_lines"] == 2000
    for name in STARTUP_METRICS:
        value = results["metrics"][name]["value"]
        if _has_sqlite_utils():
            assert isinstance(value, float), name
            assert math.isfinite(value), name
            assert value > 0, name
        else:
            assert value is None, name
    if not os.environ.get(POSTGRES_ENV):
        for name in ("postgres_import_events_per_s", "postgres_import_ratio"):
            assert results["metrics"][name]["value"] is None, name
        assert "postgres_get_event_ratio" not in results["metrics"]


def test_imports_only_runs_the_import_comparisons_and_the_linearity_rows(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results.json"
    command = [sys.executable, "bench/run.py", "--sizes", "300,600", "--repeats", "1"]
    command += ["--imports-only", "--no-postgres", "--json-out", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads(out.read_text(encoding="utf-8"))["metrics"]
    for name in ("import_ratio", "linearity_import_300_600", "linearity_baseline_300_600"):
        assert _is_number(metrics[name]["value"]), name
    assert "summary_ratio" not in metrics
    assert "export_seconds" not in metrics


@pytest.mark.postgres
def test_small_run_reports_the_postgres_rows(request: pytest.FixtureRequest) -> None:
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(
            f"{POSTGRES_ENV} is not set; set it to a PostgreSQL URL that may create databases "
            "for the benchmark's PostgreSQL rows (import against COPY, reads)"
        )
    # Asked for only now, so that the skip does not wait for the run.
    results: dict[str, Any] = request.getfixturevalue("small_run")
    for name in POSTGRES_METRICS:
        assert _is_number(results["metrics"][name]["value"]), name
    assert results["metrics"]["postgres_import_ratio"]["pass"] in (True, False)
    assert results["metrics"]["postgres_get_event_ratio"]["pass"] in (True, False)
    # The COPY baseline wrote what the import wrote.
    assert results["info"]["postgres_baseline_rows_differing"] == dict.fromkeys(TABLES, 0)
    assert len(results["info"]["postgres_import_seconds_runs"]) == 2
    # The history entries the import wrote were copied for the second ratio.
    assert results["info"]["postgres_history_rows"] > 0
    host = urlsplit(os.environ[POSTGRES_ENV]).hostname
    cpu_rows = ("postgres_import_cpu_s", "postgres_copy_cpu_s", "postgres_import_ratio_cpu_bound")
    if host not in (None, "localhost", "127.0.0.1", "::1"):
        for name in cpu_rows:
            assert name not in results["metrics"], name
        return
    # A server on this machine: each side's CPU, its own and the server's, per run.
    for name in cpu_rows:
        assert _is_number(results["metrics"][name]["value"]), name
    for key in ("postgres_import_cpu_runs", "postgres_copy_cpu_runs"):
        runs = results["info"][key]
        assert len(runs) == 2, key
        assert all(_is_number(client) and _is_number(server) for client, server in runs), runs
    # Read in clock ticks (10 ms): a COPY of this small run's rows may take less than one
    # of the server's, the import (checks, history, ANALYZE) always takes more.
    imports = results["info"]["postgres_import_cpu_runs"]
    assert all(client > 0 and server > 0 for client, server in imports), imports


def test_generation_is_deterministic_and_bounds_match_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    import synthetic

    shape = synthetic.Shape.for_events(300, sites=20, monuments=40, sources=10)
    first = synthetic.generate(shape, tmp_path / "a.jsonl")
    second = synthetic.generate(shape, tmp_path / "b.jsonl", baseline_rows=False)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert len(first.events) == 300
    assert len(first.citations) == first.counts["citations"] == first.citation_ends[-1]

    # The baseline's own EDTF arithmetic agrees with the registry on every generated date.
    occurred = sorted({row[5] for row in first.events})
    synthetic.check_bounds(occurred, synthetic.BUILT)
