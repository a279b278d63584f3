"""The pytest plugin from outside: a small project (sample_project/) whose tests use ``logstore_mock`` and
``logstore_server``, run by pytest in a subprocess (this environment's logstore, found by its ``pytest11`` entry
point), time-bounded. The fresh-virtual-environment version is test_plugin_fresh_venv.py."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).with_name("sample_project")


def run_sample(tmp_path: Path, *args: str, python: str = sys.executable, timeout: float = 300,
               pythonpath: bool = True) -> subprocess.CompletedProcess:
    project = tmp_path / "project"
    if not project.exists():
        shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_", "LOGSTORE_"))}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    if pythonpath:
        env["PYTHONPATH"] = str(project)
    return subprocess.run([python, "-m", "pytest", "-q", "-rA", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_fixtures_from_a_project(tmp_path):
    out = run_sample(tmp_path, "-k", "not on_purpose")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "6 passed" in out.stdout, out.stdout[-2000:]


def test_keep_failed_keeps_the_store_and_says_where(tmp_path):
    keep = tmp_path / "kept"
    out = run_sample(tmp_path, "-k", "on_purpose", "--logstore-keep-failed", "--logstore-keep-dir", str(keep))
    assert out.returncode == 1, out.stdout[-3000:]
    assert "logstore stores kept" in out.stdout
    [kept] = list(keep.iterdir())
    assert "test_fails_on_purpose" in kept.name and kept.name in out.stdout
    assert (kept / "us-east-1" / "data.mdb").exists()
    # the kept store is a store: the CLI reads it
    listing = subprocess.run([sys.executable, "-m", "logstore", "tables", str(kept / "us-east-1"), "--json"],
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "kept-table" in listing.stdout
    # without the option, nothing is kept
    out = run_sample(tmp_path, "-k", "on_purpose", "--logstore-keep-dir", str(tmp_path / "none"))
    assert out.returncode == 1 and not (tmp_path / "none").exists()
