"""Render the seeded summaries as HTML, photograph one in headless Chromium, check all with axe.

    python scripts/screenshot_summary.py [OUTDIR] [--site SLUG] [--lang CODE]
                                         [--axe PATH | --no-axe]

Seeds a registry in a temporary directory, writes every seeded site's `<slug>.html` into
OUTDIR (default: a new temporary directory) and takes two screenshots of one of them
(`--site`, default palmyra): `<slug>-desktop.png` at 1200x2400 and `<slug>-phone.png` at
390x2400. `--lang ar` writes the pages in Arabic, right to left (`<slug>.ar.html`,
`<slug>-ar-desktop.png`, `<slug>-ar-phone.png`). Prints the paths written. Needs
Debian's `chromium` on PATH; the browser runs with networking and every background
service off, which the pages never need: each is one self-contained file.

With axe-core (`--axe path/to/axe.min.js`, or the `REGISTRY_AXE_JS` environment
variable; `npm install axe-core` gives `node_modules/axe-core/axe.min.js`), every page is
also checked for accessibility at both widths, in the same browser: axe runs in a copy of
the page, and its findings are read back from the DOM Chromium dumps. Every finding is
printed; the exit status is 1 when any is serious or critical.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from heritage_registry import Registry
from heritage_registry.i18n import available
from heritage_registry.seed import load_seed
from heritage_registry.summary import build_summary, render

SIZES = {"desktop": (1200, 2400), "phone": (390, 2400)}
TIMEOUT_S = 120
AXE_ENV = "REGISTRY_AXE_JS"
# The impacts that fail the check; axe's others are "moderate" and "minor".
FAILING_IMPACTS = ("serious", "critical")
# axe runs in the page after it loads and writes its findings into this element; Chromium
# dumps the DOM once the page's virtual time (its timers and promises) has run out.
_AXE_RUNNER = """
<script>
axe.run(document, {resultTypes: ["violations"]}).then(
  function (results) { report(results.violations); },
  function (error) { report({error: String(error)}); }
);
function report(value) {
  var out = document.createElement("pre");
  out.id = "axe-results";
  out.hidden = true;
  out.textContent = JSON.stringify(value);
  document.body.appendChild(out);
}
</script>
"""
_AXE_RESULTS = re.compile(r'<pre id="axe-results" hidden="">(.*?)</pre>', re.DOTALL)


def chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _headless(browser: str, page: Path, width: int, height: int, *options: str) -> str:
    """Run Chromium headless on `page` with `options`; returns what it writes to stdout."""
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
            f"--window-size={width},{height}",
            *options,
            page.resolve().as_uri(),
        ]
        done = subprocess.run(
            command, check=True, capture_output=True, timeout=TIMEOUT_S, text=True
        )
    return done.stdout


def screenshot(browser: str, page: Path, png: Path, width: int, height: int) -> None:
    _headless(browser, page, width, height, f"--screenshot={png}")
    if not png.is_file() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot to {png}")


def axe_script() -> Path | None:
    """axe-core's `axe.min.js`, as `REGISTRY_AXE_JS` names it, if it is there."""
    named = os.environ.get(AXE_ENV)
    return Path(named) if named and Path(named).is_file() else None


def axe_violations(
    browser: str, page: Path, axe_js: Path, width: int, height: int
) -> list[dict[str, Any]]:
    """axe-core's violations on `page` at `width` x `height`: each rule broken, with its
    `id`, `impact`, `help` and the `nodes` that break it."""
    source = page.read_text("utf-8")
    # In an inline script, `</script` would end it early; `<\/script` is the same string.
    axe = axe_js.read_text("utf-8").replace("</script", "<\\/script")
    checked = source.replace("</body>", f"<script>{axe}</script>{_AXE_RUNNER}</body>", 1)
    with tempfile.TemporaryDirectory(prefix="axe-") as scratch:
        copy = Path(scratch) / page.name
        copy.write_text(checked, encoding="utf-8")
        dom = _headless(browser, copy, width, height, "--dump-dom", "--virtual-time-budget=60000")
    found = _AXE_RESULTS.search(dom)
    if found is None:
        raise RuntimeError(f"axe-core reported nothing on {page.name}: did it load?")
    results = json.loads(html.unescape(found.group(1)))
    if isinstance(results, dict):
        raise RuntimeError(f"axe-core failed on {page.name}: {results.get('error')}")
    violations: list[dict[str, Any]] = results
    return violations


def violation_lines(page: str, width: int, violations: list[dict[str, Any]]) -> list[str]:
    """One line per violation: `palmyra.html at 390px: serious nested-interactive: ...`."""
    lines = []
    for violation in violations:
        targets = ", ".join(
            " ".join(str(part) for part in node.get("target", [])) for node in violation["nodes"]
        )
        lines.append(
            f"{page} at {width}px: {violation['impact']} {violation['id']}: "
            f"{violation['help']} ({len(violation['nodes'])} elements: {targets})"
        )
    return lines


def check_accessibility(browser: str, pages: list[Path], axe_js: Path) -> tuple[list[str], int]:
    """Every violation on `pages` at both widths, and how many are serious or critical."""
    lines: list[str] = []
    failing = 0
    for page in pages:
        for width, height in SIZES.values():
            violations = axe_violations(browser, page, axe_js, width, height)
            lines += violation_lines(page.name, width, violations)
            failing += sum(1 for v in violations if v["impact"] in FAILING_IMPACTS)
    return lines, failing


def write_pages(outdir: Path, lang: str | None = None) -> list[Path]:
    """Seed a scratch registry and write every site's HTML summary into `outdir`, in
    `lang` (default English) as `<slug>.html`, or `<slug>.<lang>.html` in another."""
    outdir.mkdir(parents=True, exist_ok=True)
    pages = []
    with (
        tempfile.TemporaryDirectory(prefix="summary-registry-") as scratch,
        Registry.open(f"sqlite:///{Path(scratch) / 'registry.db'}") as registry,
    ):
        load_seed(registry)
        for site in registry.list_sites():
            suffix = f".{lang}" if lang and lang != "en" else ""
            page = outdir / f"{site.slug}{suffix}.html"
            text = render(build_summary(registry, site.slug), "html", lang=lang)
            page.write_text(text, encoding="utf-8", newline="\n")
            pages.append(page)
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", type=Path, help="where to write (default: a temp dir)")
    parser.add_argument("--site", default="palmyra", help="the seeded site to photograph")
    parser.add_argument(
        "--lang", default="en", choices=available(), help="the summaries' language (default: en)"
    )
    axe = parser.add_mutually_exclusive_group()
    axe.add_argument("--axe", type=Path, help=f"axe-core's axe.min.js (default: ${AXE_ENV})")
    axe.add_argument("--no-axe", action="store_true", help="take the screenshots only")
    args = parser.parse_args(argv)
    browser = chromium()
    if browser is None:
        print("chromium is not on PATH: apt-get install chromium", file=sys.stderr)
        return 2
    axe_js: Path | None = None if args.no_axe else args.axe or axe_script()
    outdir: Path = args.outdir or Path(tempfile.mkdtemp(prefix="summary-screenshots-"))
    pages = write_pages(outdir, args.lang)
    for page in pages:
        print(page)
    suffix = f".{args.lang}" if args.lang != "en" else ""
    for name, (width, height) in SIZES.items():
        png = outdir / f"{args.site}{'-' + args.lang if suffix else ''}-{name}.png"
        screenshot(browser, outdir / f"{args.site}{suffix}.html", png, width, height)
        print(png)
    if axe_js is None:
        return 0
    lines, failing = check_accessibility(browser, pages, axe_js)
    for line in lines:
        print(line)
    if failing:
        print(f"axe-core: {failing} serious or critical violations", file=sys.stderr)
        return 1
    print(f"axe-core: nothing serious on {len(pages)} pages at {len(SIZES)} widths")
    return 0


if __name__ == "__main__":
    sys.exit(main())
