"""Render the seeded Palmyra summary as HTML and photograph it in headless Chromium.

    python scripts/screenshot_summary.py [OUTDIR] [--site SLUG]

Seeds a registry in a temporary directory, writes `<slug>.html` into OUTDIR (default: a
new temporary directory) and takes two screenshots of it: `<slug>-desktop.png` at
1200x2400 and `<slug>-phone.png` at 390x2400. Prints the paths written. Needs Debian's
`chromium` on PATH; the browser runs with networking and every background service off,
which the page never needs: it is one self-contained file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from heritage_registry import Registry
from heritage_registry.seed import load_seed
from heritage_registry.summary import build_summary, render

SIZES = {"desktop": (1200, 2400), "phone": (390, 2400)}
TIMEOUT_S = 120


def chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(browser: str, page: Path, png: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            page.resolve().as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_S)
    if not png.is_file() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot to {png}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", type=Path, help="where to write (default: a temp dir)")
    parser.add_argument("--site", default="palmyra", help="the seeded site to render")
    args = parser.parse_args(argv)
    browser = chromium()
    if browser is None:
        print("chromium is not on PATH: apt-get install chromium", file=sys.stderr)
        return 2
    outdir: Path = args.outdir or Path(tempfile.mkdtemp(prefix="summary-screenshots-"))
    outdir.mkdir(parents=True, exist_ok=True)
    page = outdir / f"{args.site}.html"
    with (
        tempfile.TemporaryDirectory(prefix="summary-registry-") as scratch,
        Registry.open(f"sqlite:///{Path(scratch) / 'registry.db'}") as registry,
    ):
        load_seed(registry)
        html = render(build_summary(registry, args.site), "html")
    page.write_text(html, encoding="utf-8", newline="\n")
    print(page)
    for name, (width, height) in SIZES.items():
        png = outdir / f"{args.site}-{name}.png"
        screenshot(browser, page, png, width, height)
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
