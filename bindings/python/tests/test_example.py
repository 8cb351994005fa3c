"""Runs examples/ca_and_events.py as a user would, against a private database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ca_and_events.py"


def test_the_example_signs_issues_appends_and_receives(empty_database_url):
    result = subprocess.run([sys.executable, str(EXAMPLE), empty_database_url],
                            capture_output=True, text=True, timeout=60, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    assert "signed device" in result.stdout
    assert "received Booted v1" in result.stdout
    assert "received Heartbeat v2" in result.stdout
