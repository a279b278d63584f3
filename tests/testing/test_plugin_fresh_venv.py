"""The plugin as a user meets it: a new virtual environment, a real ``pip install`` of logstore from this working tree
(with the ``[testing]`` extra), of pytest and boto3, and of the sample project; then pytest runs the project's tests
there (the plugin found by its ``pytest11`` entry point, logstore imported from the new environment's
site-packages, not from this source tree). Slow: a build and an install, bounded in time."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_pytest_plugin import SAMPLE, run_sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_fixtures_in_a_fresh_virtualenv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    install = subprocess.run([python, "-m", "pip", "install", "-q", f"{ROOT}[testing]", "pytest", "boto3",
                              str(SAMPLE)], capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    where = subprocess.run([python, "-c", "import logstore, orders_app; print(logstore.__file__, orders_app.__file__)"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(str(venv) in path for path in where.stdout.split()), where.stdout
    code = "from importlib.metadata import entry_points; print([e.value for e in entry_points(group='pytest11')])"
    plugins = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "logstore.testing.pytest_plugin" in plugins.stdout, plugins.stdout + plugins.stderr
    out = run_sample(tmp_path, "-k", "not on_purpose", python=python, pythonpath=False, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "6 passed" in out.stdout, out.stdout[-2000:]
