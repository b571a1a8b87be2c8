"""The edgenas command: help on stdout with exit 0, a version, unknown commands named, and every
option of every command with its help and default."""
import re
import subprocess
import sys

import pytest

from edgenas.cli import COMMANDS


def edgenas(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgenas.cli", *argv], capture_output=True, text=True)


def test_help_and_version_go_to_stdout_and_exit_0():
    for argv in ([], ["--help"], ["-h"]):
        out = edgenas(*argv)
        assert out.returncode == 0 and out.stderr == "" and all(c in out.stdout for c in COMMANDS), argv
    out = edgenas("--version")
    assert out.returncode == 0 and re.fullmatch(r"edgenas \d+\.\d+\.\d+\n", out.stdout)


def test_an_unknown_command_is_named():
    out = edgenas("bogus")
    assert out.returncode == 2 and "unknown command 'bogus'" in out.stderr and out.stdout == ""


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_option_has_help_and_shows_its_default(command):
    out = edgenas(command, "--help")
    assert out.returncode == 0 and out.stdout.startswith(f"usage: edgenas {command}")
    # argparse's help: an option's name and metavar, then its help text (on that line or the next)
    listed = out.stdout.split("\noptions:\n", 1)[1]
    entries = re.findall(r"^  (-[^\n]*?)(?:  +(\S.*))?$\n(?:^ {10,}(\S.*)$)?", listed, re.M)
    assert entries
    for name, same_line, next_line in entries:
        if name.startswith("-h, --help"):
            continue
        text = " ".join(line for line in (same_line, next_line) if line)
        assert text, f"edgenas {command}: {name} has no help"
        takes_value = bool(re.search(r"--[\w-]+ [A-Z_]+", name))
        assert not takes_value or "default" in listed.split(name, 1)[1].split("\n  -")[0], (command, name)
