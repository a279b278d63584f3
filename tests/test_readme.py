"""The README's Python examples run as a newcomer would run them: one after another, in one empty directory, each
in a fresh interpreter (a child process with a time bound). The processor example continues the embedded one (it
uses its ``store``), so it runs with that store opened first; the testing example is a sketch around the reader's
own functions, so it is only compiled."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def _run(code: str, cwd: pathlib.Path) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr}"
    return done.stdout


def test_readme_examples_run_in_order(tmp_path):
    blocks = _blocks()
    embedded = next(b for b in blocks if "logstore.open(" in b)
    processor = next(b for b in blocks if "Processor.embedded" in b)
    storage = next(b for b in blocks if "from logstore.storage import" in b)
    testing = next(b for b in blocks if "from logstore.testing import" in b)

    assert _run(embedded, tmp_path).splitlines() == ["INSERT {'pk': {'S': 'alice'}, 'visits': {'N': '1'}}"]
    _run('import logstore\nwith logstore.open("mystore") as store:\n'
         + "".join("    " + line + "\n" for line in processor.splitlines()), tmp_path)
    assert _run(storage, tmp_path).splitlines() == ["1 1700000000000 b'hello'", "2 1700000000000 b'world'"]
    compile(testing, "README.md (testing example)", "exec")
