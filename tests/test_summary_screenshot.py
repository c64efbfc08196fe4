"""The HTML summary in a real browser: scripts/screenshot_summary.py photographs it, and
axe-core checks every seeded site's summary for accessibility at desktop and phone widths.

Skips when Chromium is not installed (`apt-get install chromium`); the screenshots it
writes are for people to look at, so the test checks only that both are real PNGs. The
accessibility check also skips without axe-core, which it finds through the environment
variable REGISTRY_AXE_JS (`npm install axe-core`, then point it at
`node_modules/axe-core/axe.min.js`; .ci/run does so).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "screenshot_summary.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshot_summary", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NO_CHROMIUM = not any(
    shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
)
needs_chromium = pytest.mark.skipif(
    NO_CHROMIUM,
    reason="chromium is not on PATH (apt-get install chromium); the screenshot needs a browser",
)
AXE_JS = os.environ.get("REGISTRY_AXE_JS", "")


@needs_chromium
def test_the_screenshot_script_photographs_the_palmyra_summary(tmp_path: Path) -> None:
    script = load_script()
    assert script.main([str(tmp_path), "--no-axe"]) == 0
    page = (tmp_path / "palmyra.html").read_text("utf-8")
    assert "<h1>Palmyra</h1>" in page
    for name in ("palmyra-desktop.png", "palmyra-phone.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000


@needs_chromium
@pytest.mark.skipif(
    not AXE_JS or not Path(AXE_JS).is_file(),
    reason="REGISTRY_AXE_JS does not name axe-core's axe.min.js (npm install axe-core); "
    "the accessibility check needs it",
)
def test_axe_core_finds_nothing_serious_on_any_seeded_summary(tmp_path: Path) -> None:
    script = load_script()
    pages = script.write_pages(tmp_path)
    assert sorted(page.name for page in pages) == [
        "mosul-museum.html", "nimrud.html", "palmyra.html",
    ]  # fmt: skip
    lines, failing = script.check_accessibility(script.chromium(), pages, Path(AXE_JS))
    # Every finding is reported; only serious and critical ones fail.
    assert failing == 0, "\n".join(lines)


@needs_chromium
def test_the_screenshot_script_photographs_the_arabic_summary(tmp_path: Path) -> None:
    script = load_script()
    assert script.main([str(tmp_path), "--no-axe", "--lang", "ar"]) == 0
    page = (tmp_path / "palmyra.ar.html").read_text("utf-8")
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>تدمر (Palmyra)</h1>" in page
    for name in ("palmyra-ar-desktop.png", "palmyra-ar-phone.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000


@needs_chromium
@pytest.mark.skipif(
    not AXE_JS or not Path(AXE_JS).is_file(),
    reason="REGISTRY_AXE_JS does not name axe-core's axe.min.js (npm install axe-core); "
    "the accessibility check needs it",
)
def test_axe_core_finds_nothing_serious_on_any_arabic_summary(tmp_path: Path) -> None:
    script = load_script()
    pages = script.write_pages(tmp_path, "ar")
    assert sorted(page.name for page in pages) == [
        "mosul-museum.ar.html", "nimrud.ar.html", "palmyra.ar.html",
    ]  # fmt: skip
    lines, failing = script.check_accessibility(script.chromium(), pages, Path(AXE_JS))
    assert failing == 0, "\n".join(lines)
