"""The installed `registry` command as users run it: from a shell, in its own process.

These tests start real processes, so they check what CliRunner cannot: the console
script, `python -m heritage_registry`, and that `registry --help` loads no database code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from heritage_registry.cli import ENV_VAR
from tests.test_cli_docs import example_script

BIN = Path(sys.executable).parent
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "edtf")


def python(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=60, **kwargs
    )  # type: ignore[call-overload]


def test_importing_the_cli_loads_no_database_code() -> None:
    code = (
        "import heritage_registry.cli, sys; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    result = python("-c", code)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")


@pytest.mark.parametrize(
    "args", [["--help"], ["add-event", "--help"], ["list", "events", "-h"], ["--version"]]
)
def test_help_loads_no_database_code(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from heritage_registry.cli import main\n"
        f"status = main({args!r}, prog_name='registry', standalone_mode=False)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(status, loaded, file=sys.stderr)\n"
    )
    result = python("-c", code)
    assert result.returncode == 0
    assert result.stderr == "0 []\n"


def test_python_dash_m() -> None:
    result = python("-m", "heritage_registry", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: python -m heritage_registry [OPTIONS] COMMAND")


def test_the_documented_script_records_a_corroborated_event(tmp_path: Path) -> None:
    if not (BIN / "registry").exists():
        pytest.skip(f"no registry command in {BIN}; install the project: pip install -e .")
    script = tmp_path / "palmyra.sh"
    script.write_text(example_script(), encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        ENV_VAR: str(tmp_path / "example.db"),
    }
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run(
        [bash, str(script)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    event = json.loads(result.stdout)
    assert event["confidence"] == "corroborated"
    assert [citation["source"] for citation in event["citations"]] == [
        "newarab-2016-03-27",
        "ians-2016-03-27",
    ]
    assert event["site"] == "palmyra"
    # Messages went to standard error, one per command that writes.
    assert result.stderr.splitlines() == [
        "Added site palmyra.",
        "Added source newarab-2016-03-27.",
        "Added source ians-2016-03-27.",
        f"Added event {event['uid']} to site palmyra.",
        f"Cited source ians-2016-03-27 on event {event['uid']}; its confidence is corroborated.",
    ]
    assert (tmp_path / "example.db").exists()
    assert not (tmp_path / "palmyra-example.db").exists()
