"""Generate logstore/api/operations.py from botocore's service models (dynamodb and dynamodbstreams, API
2012-08-10): one keyword-only method per operation logstore serves, its members typed and its docstring AWS's
summary, and the routing table (X-Amz-Target prefix -> operation -> method name) the server and ``Store.call``
share, and ``SHAPES``/``INPUTS``: the member types of every request shape those operations reach, which
api/members.py walks for both the server and the embedded store (so the engine never loads botocore). Run after
changing SUPPORTED or moving the botocore pin (pyproject.toml's test extra): ``.venv/bin/python
dev/gen_operations.py``; tests/api/test_operations_generated.py fails while the committed module, below its first
line (which botocore it came from), differs from what this prints."""
from __future__ import annotations

import html
import re
import sys
import textwrap
from pathlib import Path

import botocore
import botocore.loaders
import botocore.model

TARGET = Path(__file__).resolve().parent.parent / "logstore" / "api" / "operations.py"
SUPPORTED = {
    ("DynamoDB_20120810", "dynamodb"): [
        "CreateTable", "DescribeTable", "ListTables", "UpdateTable", "DeleteTable", "UpdateTimeToLive",
        "DescribeTimeToLive", "PutItem", "GetItem", "DeleteItem", "UpdateItem", "BatchWriteItem", "BatchGetItem",
        "TransactWriteItems", "TransactGetItems", "Query", "Scan", "TagResource", "UntagResource",
        "ListTagsOfResource", "DescribeLimits"],
    ("DynamoDBStreams_20120810", "dynamodbstreams"): [
        "ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"],
}
PYTHON_TYPES = {"string": "str", "integer": "int", "long": "int", "boolean": "bool", "double": "float",
                "float": "float", "blob": "bytes", "timestamp": "float", "list": "list", "map": "dict",
                "structure": "dict"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def summary(doc: str, width: int, lead: str = "") -> list[str]:
    """The first paragraph of botocore's HTML documentation, as plain wrapped text (after ``lead``)."""
    first = re.split(r"</p>", doc or "", maxsplit=1)[0]
    text = html.unescape(re.sub(r"<[^>]+>", "", first)).strip()
    text = re.sub(r"\s+", " ", text).replace('"""', "'''").replace("\\", "\\\\")
    return textwrap.wrap(lead + (text or "(no description in the service model)"), width)


def method(operation: botocore.model.OperationModel) -> str:
    shape = operation.input_shape
    members = shape.members if shape is not None else {}
    required = set(shape.required_members) if shape is not None else set()
    name = snake(operation.name)
    if members:
        lines = [f"    def {name}(", "            self, *,"]
        lines += [f"            {m}: {PYTHON_TYPES[s.type_name]} | None = None," for m, s in members.items()]
        lines.append("            **unknown: Any,")
        lines.append("    ) -> dict:")
    else:
        lines = [f"    def {name}(self, **unknown: Any) -> dict:"]
    doc = summary(operation.documentation, 105, f"{operation.name}: ")
    lines.append('        """' + doc[0])
    lines += ["        " + line for line in doc[1:]]
    if members:
        lines.append("")
        lines.append("        Members (AWS's names; required: "
                     + (", ".join(m for m in members if m in required) or "none") + "). Absent members are None.")
    lines.append('        """')
    lines.append(f'        return self.call("{operation.name}", _present("{operation.name}", locals()))')
    return "\n".join(lines)


def shape_entry(shape: botocore.model.Shape) -> str:
    """One SHAPES entry: ``"Name": ("kind", ...)``, a structure with its members (name -> shape name), a list
    with its element shape, a map with its value shape (keys are strings in every model this reads)."""
    kind = shape.type_name
    if kind == "structure":
        parts = [f'"{m}": "{s.name}"' for m, s in shape.members.items()]
        lead = f'        "{shape.name}": ("structure", {{'
        lines, line = [], lead
        for n, part in enumerate(parts):
            piece = part + (", " if n < len(parts) - 1 else "")
            if len(line) + len(piece.rstrip()) > 116 and line != lead:
                lines.append(line.rstrip())
                line = "            "
            line += piece
        return "\n".join(lines + [line + "}),"])
    if kind == "list":
        return f'        "{shape.name}": ("list", "{shape.member.name}"),'
    if kind == "map":
        assert shape.key.type_name == "string", shape.name
        return f'        "{shape.name}": ("map", "{shape.value.name}"),'
    return f'        "{shape.name}": ("{kind}",),'


def reachable(model: botocore.model.ServiceModel, names: list[str]) -> list[botocore.model.Shape]:
    """Every shape the operations' inputs reach, in the order first met."""
    seen: dict[str, botocore.model.Shape] = {}

    def walk(shape: botocore.model.Shape) -> None:
        if shape.name in seen:
            return
        seen[shape.name] = shape
        if shape.type_name == "structure":
            for member in shape.members.values():
                walk(member)
        elif shape.type_name == "list":
            walk(shape.member)
        elif shape.type_name == "map":
            walk(shape.value)
    for name in names:
        shape = model.operation_model(name).input_shape
        assert shape is not None, name
        walk(shape)
    return list(seen.values())


def generate() -> str:
    loader = botocore.loaders.Loader()
    methods, routes, shapes, inputs = [], [], [], []
    for (prefix, service), names in SUPPORTED.items():
        model = botocore.model.ServiceModel(loader.load_service_model(service, "service-2"), service)
        routes.append(f'    "{prefix}": {{\n' + "".join(f'        "{n}": "{snake(n)}",\n' for n in names) + "    },")
        methods += [method(model.operation_model(n)) for n in names]
        inputs.append(f'    "{prefix}": {{\n' + "".join(
            f'        "{n}": "{model.operation_model(n).input_shape.name}",\n' for n in names) + "    },")
        shapes.append(f'    "{prefix}": {{\n' + "\n".join(shape_entry(s) for s in reachable(model, names))
                      + "\n    },")
    return f'''"""GENERATED by dev/gen_operations.py from botocore {botocore.__version__}'s service models: do not edit.

The operations logstore serves, as methods of ``Store`` (``StoreOperations`` is its base): keyword-only, named
and typed after the operation's members, AWS's summary as the docstring, each a call of ``Store.call`` with the
members given (None means absent; a member the operation does not have is AWS's ValidationException, as the
service model refuses it, never a TypeError). ``ROUTES`` (X-Amz-Target prefix -> operation -> method name) is the one
table the server routes by. ``INPUTS`` (prefix -> operation -> input shape) and ``SHAPES`` (prefix -> shape name ->
its type: ``("structure", {{member: shape}})``, ``("list", element shape)``, ``("map", value shape)`` or a scalar
``("string",)``, ``("integer",)``, ...) are the model's member types, walked by api/members.py.
"""
from __future__ import annotations

from typing import Any

from logstore.errors import ValidationException

ROUTES: dict[str, dict[str, str]] = {{
{chr(10).join(routes)}
}}

INPUTS: dict[str, dict[str, str]] = {{
{chr(10).join(inputs)}
}}

SHAPES: dict[str, dict[str, tuple[Any, ...]]] = {{
{chr(10).join(shapes)}
}}


def _present(operation: str, members: dict[str, Any]) -> dict[str, Any]:
    unknown = members.pop("unknown")
    if unknown:
        known = ", ".join(k for k in members if k != "self") or "none"
        raise ValidationException(
            f"{{operation}} has no member {{', '.join(repr(k) for k in sorted(unknown))}} (its members: {{known}})")
    return {{k: v for k, v in members.items() if v is not None and k != "self"}}


class StoreOperations:
    """The AWS operations of ``Store``; ``call`` is the Store's."""

    def call(self, operation: str, request: dict) -> dict:
        raise NotImplementedError

{(chr(10) + chr(10)).join(methods)}
'''


if __name__ == "__main__":
    text = generate()
    if sys.argv[1:] == ["--print"]:
        sys.stdout.write(text)
    else:
        TARGET.write_text(text)
        print(f"wrote {TARGET}")
