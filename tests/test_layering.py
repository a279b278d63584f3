"""Data flows one way: csrc -> codec -> storage -> stream -> tables -> api -> processors -> console ->
{server, cli} -> testing. A module imports only its own layer or layers below; errors and clock are leaves any
layer may use. ``testing`` (the in-process mock and the pytest plugin) sits on top: it answers botocore through the
server's per-request core."""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "logstore"
ORDER = ["codec", "storage", "stream", "tables", "api", "processors", "console", "server", "cli"]
LEAVES = {"errors", "clock", "_logseg"}
RANK = {name: i for i, name in enumerate(ORDER)}
RANK["server"] = RANK["cli"] = len(ORDER)  # siblings; neither imports the other
RANK["testing"] = len(ORDER) + 1           # above both: the mock uses the server's core, the plugin runs `serve`


def layer_of(module: str) -> str | None:
    parts = module.split(".")
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
    for leaf in ("errors.py", "clock.py"):
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
