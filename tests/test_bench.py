"""The benchmark runs end to end at a small scale and reports every metric as a number.

No timing is asserted: the numbers depend on the machine. What is checked is that
`bench/run.py` completes (which includes its own check that the sqlite3 baseline wrote
exactly the rows the import wrote) and that its JSON carries each metric.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

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
    "duplicates_seconds",
    "duplicates_peak_rss_mb",
    "help_ms",
    "import_click_ms",
    "help_ratio",
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


def test_small_run_reports_every_metric(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [
        sys.executable,
        "bench/run.py",
        "--events",
        "2000",
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

    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["shape"]["events"] == 2000
    assert results["info"]["baseline_rows_differing"] == dict.fromkeys(
        ["site", "monument", "source", "damage_event", "source_citation"], 0
    )
    for name in METRICS:
        value = results["metrics"][name]["value"]
        assert isinstance(value, int | float), name
        assert not isinstance(value, bool), name
        assert math.isfinite(value), name
        assert value >= 0, name
    for name in ("import_ratio", "summary_median_ms", "summary_ratio", "help_ratio"):
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
