"""The release path, as a user meets it: ``python -m build`` makes an sdist and then a wheel from that sdist (so a
file the sdist leaves out breaks the wheel here, not on a user's machine), the wheel holds the compiled codec and
no tests, and a fresh virtual environment installs the wheel with the core dependencies only, imports logstore on
the C codec, writes and reads a change log, and its ``logstore`` command names the missing [cli] extra."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tarfile
import zipfile

import pytest
from smoke import SMOKE

ROOT = pathlib.Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _sh(*args, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> pathlib.Path:
    """sdist and wheel built from a copy of the tracked files (a clean tree: no build products, no .venv)."""
    work = tmp_path_factory.mktemp("build")
    tree = work / "tree"
    tree.mkdir()
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (e.g. the tests of an unpacked sdist): nothing to tell tracked files by")
    # tracked files and new ones git does not ignore (a developer's uncommitted file is in the copy too)
    files = _sh("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).stdout.split("\0")
    tracked = [f for f in files if f and (ROOT / f).is_file()]
    _sh("tar", "-cf", str(work / "tree.tar"), "-C", str(ROOT), *tracked)
    _sh("tar", "-xf", str(work / "tree.tar"), "-C", str(tree))
    out = work / "dist"
    _sh(sys.executable, "-m", "build", "--outdir", str(out), str(tree))
    return out


def _one(out: pathlib.Path, pattern: str) -> pathlib.Path:
    found = list(out.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_sdist_holds_what_the_wheel_is_built_from(dist):
    from logstore import __version__
    sdist = _one(dist, "logstore-*.tar.gz")
    assert sdist.name == f"logstore-{__version__}.tar.gz"
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for need in ("setup.py", "pyproject.toml", "LICENSE", "README.md", "csrc/build_logseg.py", "csrc/logseg.c",
                 "csrc/logseg.h", "csrc/logseg_cdef.h", "csrc/crc32c.c", "csrc/crc32c_table.h",
                 "logstore/py.typed", "logstore/_version.py", "tests/conftest.py"):
        assert need in names, need
    assert not any(n.endswith(".so") for n in names)


def test_the_wheel_holds_the_compiled_codec_and_no_tests(dist):
    with zipfile.ZipFile(_one(dist, "logstore-*.whl")) as whl:
        names = whl.namelist()
    assert any(n.startswith("logstore/_logseg") and n.endswith(".so") for n in names)
    assert "logstore/py.typed" in names and "logstore/tables/expr/reserved_words.txt" in names
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "csrc/", "bench/", "dev/"))]


def test_a_fresh_venv_runs_the_core_install(dist, tmp_path):
    venv = tmp_path / "venv"
    _sh(sys.executable, "-m", "venv", str(venv))
    py, pip = venv / "bin" / "python", venv / "bin" / "pip"
    _sh(str(pip), "install", "-q", str(_one(dist, "logstore-*.whl")))
    listed = _sh(str(py), "-c", "import importlib.metadata as m\n"
                 "print(' '.join(d.metadata['Name'].lower() for d in m.distributions()))").stdout
    frozen = set(listed.split())
    assert frozen - {"logstore", "pip", "setuptools"} == {"lmdb", "msgpack", "cffi", "pycparser", "orjson"}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LOGSTORE_PURE")}
    smoke = (f"import logstore, logstore.codec\nassert logstore.__file__.startswith({str(venv)!r})\n"
             "assert logstore.codec.IMPLEMENTATION == 'c'\n" + SMOKE)
    done = _sh(str(py), "-c", smoke, cwd=tmp_path, env=env)
    assert done.stdout == "{'pk': {'S': 'a'}}\n"
    cmd = subprocess.run([str(venv / "bin" / "logstore"), "tables", "s"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert (cmd.returncode, cmd.stderr) == (2, "logstore: this needs the [cli] extra (click is not installed): "
                                               "pip install 'logstore[cli]'\n")


def test_the_sdist_installs_in_a_fresh_venv_and_passes_the_engine_tiers(dist, tmp_path):
    # a user's path from the sdist alone: install it (the wheel is built from it on their machine) with the test
    # extra into an empty virtual environment, unpack it, and run its own test suite's engine and API tiers
    # against the installed package (not the unpacked tree, which holds no compiled module)
    venv, src = tmp_path / "venv", tmp_path / "src"
    _sh(sys.executable, "-m", "venv", str(venv))
    sdist = _one(dist, "logstore-*.tar.gz")
    _sh(str(venv / "bin" / "pip"), "install", "-q", f"{sdist}[test]")
    with tarfile.open(sdist) as tar:
        tar.extractall(src, filter="data")
    (root,) = src.iterdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LOGSTORE_PURE")}
    done = subprocess.run([str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", "-m", "not slow",
                           "tests/codec", "tests/storage", "tests/stream", "tests/tables", "tests/api"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]
    assert not list((root / "logstore").rglob("*.pyc")), "the tests imported the unpacked tree, not the install"
