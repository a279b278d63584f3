"""The core install is the engine: with every optional module missing (click, rich, jinja2, uvicorn, httptools,
uvloop, botocore, boto3), ``import logstore`` opens a store, writes and reads its change log, and the ``logstore``
command says in one line which extra to install, never a traceback. Each case runs in a child process whose
``sys.modules`` holds None for the optional modules (the import system then raises ModuleNotFoundError for them)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from smoke import SMOKE

OPTIONAL = ["click", "rich", "jinja2", "uvicorn", "httptools", "uvloop", "botocore", "boto3"]


def _run(code: str, blocked: list[str], tmp_path, argv: list[str] | None = None) -> subprocess.CompletedProcess:
    prelude = f"import sys\nfor _m in {blocked!r}:\n    sys.modules[_m] = None\n"
    if argv is not None:
        prelude += f"sys.argv = {['logstore', *argv]!r}\n"
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_the_engine_needs_no_extra(tmp_path):
    done = _run(SMOKE + textwrap.dedent(f"""
        import logstore.processors
        print(sorted(m for m in sys.modules if m.partition(".")[0] in {OPTIONAL!r} and sys.modules[m] is not None))
        """), OPTIONAL, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["{'pk': {'S': 'a'}}", "[]"]


def test_the_mock_loads_no_http_stack(tmp_path):
    # logstore.testing answers botocore through the dispatcher; the server's socket side (protocol.py, httptools,
    # uvicorn) and the command line stay unloaded
    blocked = [m for m in OPTIONAL if m not in ("botocore", "boto3")]
    done = _run("import logstore.testing\nprint('logstore.server.protocol' in sys.modules)", blocked, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False"]


def test_the_command_without_the_cli_extra_names_it(tmp_path):
    done = _run("from logstore.__main__ import main\nmain()", OPTIONAL, tmp_path, ["tables", "s"])
    assert done.returncode == 2
    assert done.stderr == ("logstore: this needs the [cli] extra (click is not installed): "
                           "pip install 'logstore[cli]'\n")


def test_serve_without_the_server_extra_names_it(tmp_path):
    blocked = ["uvicorn", "httptools", "uvloop", "botocore"]
    done = _run("from logstore.__main__ import main\nmain()", blocked, tmp_path, ["serve", "--port", "0", "d"])
    assert done.returncode == 2, done.stderr
    assert done.stderr.endswith("logstore: this needs the [server] extra (uvicorn is not installed): "
                                "pip install 'logstore[server]'\n")
    assert "Traceback" not in done.stderr


def test_serve_needs_only_the_server_extra(tmp_path):
    done = _run("from logstore.__main__ import main\nmain()", ["rich", "boto3"], tmp_path, ["serve", "--help"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: logstore serve [OPTIONS] [PATH]")


def test_an_unrelated_missing_module_is_not_hidden(tmp_path):
    done = _run("from logstore.__main__ import main\nmain()", ["logstore.cli"], tmp_path, ["--help"])
    assert done.returncode == 1 and "Traceback" in done.stderr


def test_pytest_runs_without_the_testing_extra(tmp_path):
    # the plugin is registered by an entry point, so every pytest run in an environment with logstore loads it:
    # without botocore the run goes on, and only a test using the fixtures is told what to install
    (tmp_path / "test_user.py").write_text("def test_plain():\n    assert 1\n\n"
                                           "def test_mock(logstore_mock):\n    pass\n")
    done = _run("import pytest\nsys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'test_user.py']))",
                OPTIONAL, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed, 1 error" in done.stdout, done.stdout
    assert ("logstore: this needs the [testing] extra (botocore is not installed): pip install "
            "'logstore[testing]'") in done.stdout
    done = _run("from logstore.testing import mock", OPTIONAL, tmp_path)
    assert done.stderr.splitlines()[-1] == ("ModuleNotFoundError: logstore: this needs the [testing] extra (botocore "
                                            "is not installed): pip install 'logstore[testing]'")
