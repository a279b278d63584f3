"""Member types: the one check of a request's members against botocore's service models, for both doors.

The models' shapes reachable from the operations logstore serves are generated into ``operations.py``
(``SHAPES``, ``INPUTS``; dev/gen_operations.py), so this module, and the embedded engine, never load botocore. A
walker compiled once per shape turns a request into the engine's request dict, or refuses it with
SerializationException in the words of AWS's JSON layer (Coral), whichever door it came through:

* the server (``from_json=True``): the decoded JSON body; a blob is a base64 string, decoded to bytes;
* the embedded store (``Store.call``, ``Store.submit``): the caller's Python values; a blob is ``bytes`` (a str is
  refused, see below), map keys must be strings and strings valid Unicode (JSON guarantees both on the wire).

So the same fault answers the same through both: ``{"S": 5}`` is ``class
com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String``, ``"Limit": "5"`` is
``STRING_VALUE can not be converted to an Integer``.

What it checks and converts, shape by shape: structure -> a JSON object / dict (members the model does not name
are dropped, as AWS ignores them); list -> array / list; map -> object / dict; string -> str; integer/long -> an
integral number (``5.0`` is 5; a bool is not a number), within the Java type's range; double/float -> a number;
boolean -> true/false; blob -> base64 text on the wire, bytes embedded (bytearray taken as bytes); timestamp -> a
number of epoch seconds. A ``null``/None member counts as absent; a ``null`` list element is refused; a ``null``
map value is kept (the engine reports it in DynamoDB's words). Nesting deeper than MAX_DEPTH containers is refused.
Constraints on values (lengths, ranges, enums, required members) are the services' business: they report them
as ValidationException in AWS's words (validation.py).

A Python value JSON has no form for (a tuple, a set, a Decimal, bytes where a string belongs, any other object)
is ``Python <type> can not be converted to an <Type>``; base64 text where a blob belongs is refused with a message
saying the embedded API takes bytes (docs/errors.md, "Embedded callers").

Thread-safety: compiled walkers are pure functions; compiling takes a lock, reading the compiled table does not.
"""
from __future__ import annotations

import base64
import binascii
import operator
import threading
from typing import Any, Callable

from logstore.errors import SerializationException

from .operations import INPUTS, SHAPES

Walker = Callable[[Any, int], Any]

MAX_DEPTH = 64   # containers deep: more than any valid request (AttributeValues nest at most 32, two levels each)

OPERATION_SHAPES = {operation: (prefix, shape) for prefix, ops in INPUTS.items() for operation, shape in ops.items()}
"""AWS operation name -> (X-Amz-Target prefix, input shape name); the two services share no operation name."""
assert len(OPERATION_SHAPES) == sum(map(len, INPUTS.values()))

_DROP = object()   # a structure member left out (unknown to the model, or None)

_JAVA_TYPE = {"structure": "Structure", "map": "Map", "list": "List", "string": "String", "integer": "Integer",
              "long": "Long", "double": "Double", "float": "Double", "boolean": "Boolean", "blob": "ByteBuffer",
              "timestamp": "Date"}


def type_error(expected: str, value: Any) -> SerializationException:
    """The error for ``value`` where a value of Java type ``expected`` (``Integer``, ``Map``...) belongs: Coral's
    wording for what JSON can carry, the Python type's name for the rest."""
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected")
    if isinstance(value, bool):
        found = "class java.lang.Boolean"
    elif isinstance(value, (int, float)):
        found = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber"
    elif isinstance(value, str):
        found = "STRING_VALUE"
    else:
        found = f"Python {type(value).__name__}"
    return SerializationException(f"{found} can not be converted to an {expected}")


def out_of_range(shape_name: str, value: int, kind: str) -> None:
    """SerializationException if ``value`` does not fit the Java type of an ``integer`` or ``long`` shape, in the
    words of AWS's JSON parser (Jackson)."""
    bits, java = (31, "int") if kind == "integer" else (63, "long")
    if not -(1 << bits) <= value < (1 << bits):
        raise SerializationException(f"Numeric value ({value}) out of range of {java} (for '{shape_name}')")


def _text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SerializationException("Invalid UTF-8 in a string: lone surrogates are not allowed") from None


def _up_to(value: dict[str, Any], key: str) -> dict[str, Any]:
    """A copy of ``value``'s entries before ``key``: where a walk that met only unchanged entries starts its copy."""
    out = {}
    for before, kept in value.items():
        if before == key:
            break
        out[before] = kept
    return out


def _key(key: Any) -> None:
    """An embedded map key: a str (as JSON's always are) with a UTF-8 form."""
    if not isinstance(key, str):
        raise SerializationException(f"Map keys must be strings, not {type(key).__name__}")
    if not key.isascii():
        _text(key)


def _attribute_value(generic: Walker, from_json: bool) -> Walker:
    """DynamoDB's AttributeValue walker: the common value, one member of the right type that ``generic`` would
    hand on as it is (``{"S": "x"}``, ``{"BOOL": true}``, ``{"SS": [...]}``, ``{"M": {...}}`` and ``{"L": [...]}`` of
    such values), is handed on here without a walker call per member; anything else (a blob to convert, a fault,
    a member the model does not name, a null, nesting near MAX_DEPTH) is ``generic``'s, which words every error.
    ``generic`` is its spec: tests/api/test_members_attribute_values.py checks they agree on random values."""
    def attribute_value(value: Any, depth: int) -> Any:
        if type(value) is dict and len(value) == 1 and depth < MAX_DEPTH:
            [(kind, inner)] = value.items()
            of = type(inner)
            if of is str:
                if (kind == "S" or kind == "N") and (from_json or inner.isascii()):
                    return value
            elif of is bool:
                if kind == "BOOL" or kind == "NULL":
                    return value
            elif of is dict:
                if kind == "M":
                    for key, item in inner.items():
                        if item is None or (not from_json and (type(key) is not str or not key.isascii())) \
                                or attribute_value(item, depth + 2) is not item:
                            break
                    else:
                        return value
            elif of is list:
                if kind == "L" and None not in inner:   # the generic walk refuses a null before any element
                    for item in inner:
                        if attribute_value(item, depth + 2) is not item:
                            break
                    else:
                        return value
                elif kind == "SS" or kind == "NS":
                    for item in inner:
                        if type(item) is not str or not (from_json or item.isascii()):
                            break
                    else:
                        return value
        return generic(value, depth)
    return attribute_value


class _Compiler:
    """The walkers of one door (``from_json``) over one service's shapes; ``specialised=False`` leaves out
    ``_attribute_value``'s common-case walk (the generic walkers alone, its spec in the tests)."""

    def __init__(self, shapes: dict[str, tuple[Any, ...]], from_json: bool, specialised: bool = True):
        self.shapes, self.from_json, self.specialised = shapes, from_json, specialised
        self.compiled: dict[str, Walker] = {}

    def walker(self, name: str) -> Walker:
        found = self.compiled.get(name)
        if found is not None:
            return found
        slot: list[Walker] = []
        self.compiled[name] = lambda v, d: slot[0](v, d)   # stands in while a recursive shape compiles
        fn = self._build(name, self.shapes[name])
        if self.specialised and name == "AttributeValue":
            fn = _attribute_value(fn, self.from_json)
        slot.append(fn)
        self.compiled[name] = fn
        return fn

    def _build(self, name: str, spec: tuple[Any, ...]) -> Walker:
        kind = spec[0]
        expected = _JAVA_TYPE[kind]
        from_json = self.from_json
        if kind == "structure":
            members = {member: self.walker(shape) for member, shape in spec[1].items()}
            # members whose shape is a string: checked inline (the common AttributeValue S and N, names, enums)
            strings = frozenset(member for member, shape in spec[1].items() if self.shapes[shape][0] == "string")

            def structure(value: Any, depth: int) -> dict[str, Any]:
                if not isinstance(value, dict):
                    raise type_error(expected, value)
                if depth > MAX_DEPTH:
                    raise SerializationException("Nesting too deep")
                out = None   # made only once a member differs from what the engine takes: most requests copy nothing
                for member, item in value.items():
                    if member in strings and type(item) is str and (from_json or item.isascii()):
                        new = item
                    else:
                        fn = members.get(member)
                        new = fn(item, depth + 1) if fn is not None and item is not None else _DROP
                    if out is None:
                        if new is item:
                            continue
                        out = _up_to(value, member)
                    if new is not _DROP:
                        out[member] = new
                return value if out is None else out
            return structure
        if kind == "list":
            element = self.walker(spec[1])

            def list_(value: Any, depth: int) -> list[Any]:
                if not isinstance(value, list):
                    raise type_error(expected, value)
                if depth > MAX_DEPTH:
                    raise SerializationException("Nesting too deep")
                if None in value:
                    raise SerializationException("null found in a list where a value was expected")
                out = [element(item, depth + 1) for item in value]
                return value if all(map(operator.is_, out, value)) else out
            return list_
        if kind == "map":
            val = self.walker(spec[1])

            def map_(value: Any, depth: int) -> dict[str, Any]:
                if not isinstance(value, dict):
                    raise type_error(expected, value)
                if depth > MAX_DEPTH:
                    raise SerializationException("Nesting too deep")
                out = None   # as a structure's: made only once a value differs
                for key, item in value.items():
                    if not from_json and (type(key) is not str or not key.isascii()):
                        _key(key)
                    new = val(item, depth + 1) if item is not None else None
                    if out is None:
                        if new is item:
                            continue
                        out = _up_to(value, key)
                    out[key] = new
                return value if out is None else out
            return map_
        if kind == "string":
            if from_json:
                def string(value: Any, depth: int) -> str:
                    if not isinstance(value, str):
                        raise type_error(expected, value)
                    return value
                return string

            def python_string(value: Any, depth: int) -> str:
                if not isinstance(value, str):
                    raise type_error(expected, value)
                if not value.isascii():
                    _text(value)
                return value
            return python_string
        if kind in ("integer", "long"):
            def integer(value: Any, depth: int) -> int:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise type_error(expected, value)
                if isinstance(value, float):
                    if not value.is_integer():
                        raise SerializationException(f"{value} can not be converted to an {expected}")
                    value = int(value)
                out_of_range(name, value, kind)
                return value
            return integer
        if kind in ("double", "float", "timestamp"):
            def number(value: Any, depth: int) -> float:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise type_error(expected, value)
                return value
            return number
        if kind == "boolean":
            def boolean(value: Any, depth: int) -> bool:
                if not isinstance(value, bool):
                    raise type_error(expected, value)
                return value
            return boolean
        if kind == "blob":
            if from_json:
                def blob(value: Any, depth: int) -> bytes:
                    if not isinstance(value, str):
                        raise type_error(expected, value)
                    try:
                        return base64.b64decode(value, validate=True)
                    except (binascii.Error, ValueError):
                        raise SerializationException("Base64 encoded value is not valid") from None
                return blob

            def python_blob(value: Any, depth: int) -> bytes:
                if type(value) is bytes:
                    return value
                if isinstance(value, (bytes, bytearray)):
                    return bytes(value)
                if isinstance(value, str):
                    raise SerializationException(
                        "STRING_VALUE can not be converted to an ByteBuffer: the embedded API takes binary values "
                        "as bytes (base64 text is their form on the wire only)")
                raise type_error(expected, value)
            return python_blob
        raise TypeError(f"shape {name}: type {kind} is not handled")  # a model change: fails at generation


_compilers = {(prefix, from_json): _Compiler(shapes, from_json)
              for prefix, shapes in SHAPES.items() for from_json in (False, True)}
_inputs: dict[tuple[str, bool], Walker] = {}
_lock = threading.Lock()


def _input(operation: str, from_json: bool) -> Walker:
    found = _inputs.get((operation, from_json))
    if found is None:
        prefix, shape = OPERATION_SHAPES[operation]
        with _lock:
            found = _inputs[(operation, from_json)] = _compilers[(prefix, from_json)].walker(shape)
    return found


def checked(operation: str, request: Any, *, from_json: bool = False) -> dict[str, Any]:
    """``request`` (of AWS operation ``operation``, one that ``INPUTS`` lists) with its member types checked, as
    the engine takes it: unknown members and None/null members left out, blobs as bytes (``from_json``: the
    request is decoded JSON, blobs base64 text). Containers that needed no change are the caller's own, the
    others copies; the request itself is never modified. SerializationException for a member of the wrong type,
    in AWS's words (see the module docstring)."""
    if not isinstance(request, dict):   # the server's decoder refuses such a body with the same message
        raise SerializationException("Start of structure or map expected")
    return _input(operation, from_json)(request, 0)  # type: ignore[no-any-return]


def compile_all() -> int:
    """Compile every operation's walkers, both doors, now (at a server's start-up, so no request pays for it).
    Returns how many operations."""
    for operation in OPERATION_SHAPES:
        for from_json in (False, True):
            _input(operation, from_json)
    return len(OPERATION_SHAPES)
