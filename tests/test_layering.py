"""Data flows one way: csrc -> codec -> storage -> stream -> tables -> api -> processors -> console ->
{server, cli} -> testing. A module imports only its own layer or layers below; errors and clock are leaves any
layer may use. ``testing`` (the in-process mock and the pytest plugin) sits on top: it answers botocore through the
server's per-request core."""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "logstore"
ORDER = ["codec", "storage", "stream", "tables", "api", "processors", "console", "server", "cli"]
LEAVES = {"errors", "clock", "extras", "_version", "_logseg"}
RANK = {name: i for i, name in enumerate(ORDER)}
RANK["server"] = RANK["cli"] = len(ORDER)  # siblings; neither imports the other
RANK["testing"] = len(ORDER) + 1           # above both: the mock uses the server's core, the plugin runs `serve`


def layer_of(module: str) -> str | None:
    """The layer a module belongs to; the facade itself (``import logstore``, ``from logstore import open``) is
    the API layer: it hands out ``api.Store``."""
    parts = module.split(".")
    if parts == ["logstore"]:
        return "api"
    return parts[1] if len(parts) > 1 and parts[0] == "logstore" else None


def imports(path: pathlib.Path) -> set[str]:
    pkg = "logstore." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.rsplit(".", node.level)[0] if not path.name == "__init__.py" else \
                    pkg.rsplit(".", node.level - 1)[0] if node.level > 1 else pkg.rsplit(".", 1)[0] + ""
                found.add(base + ("." + node.module if node.module else ""))
            elif node.module == "logstore":   # a subpackage or leaf by name, else the facade's own names
                for a in node.names:
                    sub = (ROOT / a.name).is_dir() or (ROOT / f"{a.name}.py").exists()
                    found.add(f"logstore.{a.name}" if sub else "logstore")
            elif node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("logstore")}


def test_layers_import_only_downwards():
    problems = []
    for path in ROOT.rglob("*.py"):
        own = path.relative_to(ROOT).parts[0].removesuffix(".py")
        if own in LEAVES or own in ("__init__", "__main__"):
            continue
        for module in imports(path):
            other = layer_of(module)
            if other is None or other in LEAVES or other == own:
                continue
            if other not in RANK or RANK[other] >= RANK[own]:
                problems.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not problems, problems


def test_leaves_import_nothing_from_logstore():
    for leaf in ("errors.py", "clock.py", "extras.py", "_version.py"):
        assert imports(ROOT / leaf) == set(), leaf


def test_processors_sit_between_api_and_the_commands():
    assert RANK["api"] < RANK["processors"] < RANK["cli"] == RANK["server"]


def test_testing_sits_on_top():
    assert RANK["testing"] > RANK["server"] == RANK["cli"]


def test_server_reaches_the_engine_only_through_api():
    """server/ is a thin translator: below it, it imports only logstore.api and the console it serves at /console/
    (and the facade and the leaves)."""
    problems = []
    for path in (ROOT / "server").rglob("*.py"):
        for module in imports(path):
            if layer_of(module) not in (None, "api", "console", "server", "errors", "clock"):
                problems.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not problems, problems
    assert list((ROOT / "server").rglob("*.py")), "no server package"


def test_the_facade_counts_as_the_api_layer():
    assert layer_of("logstore") == "api"
    assert RANK[layer_of("logstore")] > RANK["tables"]


def test_lower_layers_import_without_the_api_layer():
    """``import logstore.codec`` / ``logstore.storage`` / ``logstore.stream`` load no api module (the facade
    loads ``open``/``Store`` lazily)."""
    import subprocess
    import sys
    code = ("import sys, logstore.codec, logstore.storage, logstore.stream; "
            "print(sorted(m for m in sys.modules if m.startswith(('logstore.api', 'logstore.tables', "
            "'logstore.server', 'logstore.cli', 'logstore.processors'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    check = subprocess.run([sys.executable, "-c", "import logstore; print(logstore.open.__module__, "
                            "logstore.Store.__name__, 'open' in dir(logstore))"],
                           capture_output=True, text=True, timeout=60, check=True)
    assert check.stdout.split() == ["logstore.api.store", "Store", "True"]


def test_no_import_circle_between_the_processor_and_its_workers():
    """processor.py runs the shard workers; worker.py gets what it needs handed in (its ``Host``)."""
    assert "logstore.processors.processor" not in imports(ROOT / "processors" / "worker.py")
    assert "logstore.processors.worker" in imports(ROOT / "processors" / "processor.py")
