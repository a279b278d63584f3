"""Member types at the border, read from botocore's service models (``dynamodb`` and ``dynamodbstreams``,
API 2012-08-10): a generic walker compiled once per shape turns a request's decoded JSON into the engine's request
dict, or refuses it with SerializationException as AWS's JSON layer does.

What it checks and converts, shape by shape: structure -> a JSON object (members the model does not name are
dropped, as AWS ignores them); list -> array; map -> object; string -> string; integer/long -> an integral number;
double/float -> a number; boolean -> true/false; blob -> a base64 string, decoded to bytes (AttributeValue ``B``,
``BS``); timestamp -> a number of epoch seconds. A ``null`` member counts as absent; a ``null`` list element is
refused. Constraints on values (lengths, ranges, enums, required members; ``null`` map values) are the engine's
business: it reports them as ValidationException in AWS's words.

Responses need no walker: the engine returns JSON-level values, and bytes become base64 in ``wire.encode``.

Thread-safety: compiled validators are pure functions; ``ShapeModels`` is built once and only read afterwards.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Callable

import botocore.loaders
import botocore.model

from logstore.api.validation import out_of_range
from logstore.errors import SerializationException

Validator = Callable[[Any], Any]

SERVICES = {"DynamoDB_20120810": "dynamodb", "DynamoDBStreams_20120810": "dynamodbstreams"}
MAX_DEPTH = 64   # deeper nesting than any valid request (AttributeValues nest at most 32): refused


def _type_error(expected: str, value: Any) -> SerializationException:
    # Coral's wording for the common cases; the class name of the Java value for the rest.
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected")
    if isinstance(value, bool):
        found = "class java.lang.Boolean"
    elif isinstance(value, (int, float)):
        found = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber"
    else:
        found = "STRING_VALUE"
    return SerializationException(f"{found} can not be converted to an {expected}")


def _depth_guard(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise SerializationException("Nesting too deep")


class ShapeModels:
    """Compiled input validators for every operation of both services."""

    def __init__(self) -> None:
        loader = botocore.loaders.Loader()
        self.models = {prefix: botocore.model.ServiceModel(loader.load_service_model(name, "service-2"), name)
                       for prefix, name in SERVICES.items()}
        self._compiled: dict[tuple[str, str], Validator] = {}
        self._inputs: dict[tuple[str, str], Validator] = {}

    def operations(self, prefix: str) -> list[str]:
        model = self.models.get(prefix)
        return list(model.operation_names) if model else []

    def validator(self, prefix: str, operation: str) -> Validator | None:
        """The request validator of ``prefix.operation``; None if the model has no such operation."""
        key = (prefix, operation)
        found = self._inputs.get(key)
        if found is None:
            model = self.models.get(prefix)
            if model is None or operation not in model.operation_names:
                return None
            shape = model.operation_model(operation).input_shape
            found = self._inputs[key] = self._compile(prefix, shape) if shape is not None else (lambda v, d=0: {})
        return found

    def _compile(self, prefix: str, shape: botocore.model.Shape) -> Validator:
        key = (prefix, shape.name)
        if key in self._compiled:
            return self._compiled[key]
        slot: list[Validator] = []
        self._compiled[key] = lambda v, d=0: slot[0](v, d)   # stands in while a recursive shape compiles
        fn = self._build(prefix, shape)
        slot.append(fn)
        self._compiled[key] = fn
        return fn

    def _build(self, prefix: str, shape: botocore.model.Shape) -> Validator:
        kind = shape.type_name
        if kind == "structure":
            members = {name: self._compile(prefix, member) for name, member in shape.members.items()}

            def structure(value, depth=0):
                if not isinstance(value, dict):
                    raise _type_error("Structure", value)
                _depth_guard(depth)
                out = {}
                for name, item in value.items():
                    fn = members.get(name)
                    if fn is not None and item is not None:
                        out[name] = fn(item, depth + 1)
                return out
            return structure
        if kind == "list":
            element = self._compile(prefix, shape.member)

            def list_(value, depth=0):
                if not isinstance(value, list):
                    raise _type_error("List", value)
                _depth_guard(depth)
                if None in value:
                    raise SerializationException("null found in a list where a value was expected")
                return [element(item, depth + 1) for item in value]
            return list_
        if kind == "map":
            val = self._compile(prefix, shape.value)

            def map_(value, depth=0):
                if not isinstance(value, dict):
                    raise _type_error("Map", value)
                _depth_guard(depth)
                return {k: val(item, depth + 1) if item is not None else None for k, item in value.items()}
            return map_
        if kind == "string":
            def string(value, depth=0):
                if not isinstance(value, str):
                    raise _type_error("String", value)
                return value
            return string
        if kind in ("integer", "long"):
            name = "Integer" if kind == "integer" else "Long"
            shape_name = shape.name

            def integer(value, depth=0):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise _type_error(name, value)
                if isinstance(value, float):
                    if not value.is_integer():
                        raise SerializationException(f"{value} can not be converted to an {name}")
                    value = int(value)
                out_of_range(shape_name, value, kind)
                return value
            return integer
        if kind in ("double", "float", "timestamp"):
            name = "Date" if kind == "timestamp" else "Double"

            def number(value, depth=0):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise _type_error(name, value)
                return value
            return number
        if kind == "boolean":
            def boolean(value, depth=0):
                if not isinstance(value, bool):
                    raise _type_error("Boolean", value)
                return value
            return boolean
        if kind == "blob":
            def blob(value, depth=0):
                if not isinstance(value, str):
                    raise _type_error("ByteBuffer", value)
                try:
                    return base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise SerializationException("Base64 encoded value is not valid") from None
            return blob
        raise TypeError(f"shape {shape.name}: type {kind} is not handled")  # a model change: fail at start-up

    def compile_all(self) -> int:
        """Compile every operation's validator now (at start-up, so no request pays for it). Returns how many."""
        n = 0
        for prefix in self.models:
            for operation in self.operations(prefix):
                self.validator(prefix, operation)
                n += 1
        return n
