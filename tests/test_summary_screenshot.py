"""The HTML summary in a real browser: scripts/screenshot_summary.py photographs it.

Skips when Chromium is not installed (`apt-get install chromium`); the screenshots it
writes are for people to look at, so the test checks only that both are real PNGs.
"""

from __future__ import annotations

import importlib.util
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


@pytest.mark.skipif(
    not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")),
    reason="chromium is not on PATH (apt-get install chromium); the screenshot needs a browser",
)
def test_the_screenshot_script_photographs_the_palmyra_summary(tmp_path: Path) -> None:
    script = load_script()
    assert script.main([str(tmp_path)]) == 0
    page = (tmp_path / "palmyra.html").read_text("utf-8")
    assert "<h1>Palmyra</h1>" in page
    for name in ("palmyra-desktop.png", "palmyra-phone.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000
