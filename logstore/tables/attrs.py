"""Attribute values: DynamoDB's validation, canonical form and size rule for items. Pure functions.

Owns:
* ``canonical_item``: validates an item the way DynamoDB validates a PutItem ``Item`` and returns a canonical copy.
* ``canonical_number`` / ``number_parts``: DynamoDB's Number grammar, limits and canonical rendering.
* ``check_key``: the primary-key rules (presence, type, emptiness, size) for an item or a ``Key`` parameter.
* ``item_size`` / ``check_item_size``: DynamoDB's item-size rule (docs spec §4.3), which also gives SizeBytes.

Items are dicts in AttributeValue form, ``{"name": {"S": "x"}, "n": {"N": "1.5"}, ...}``; binary values (B, BS
members) are Python ``bytes``, never base64. Type keys: S N B BOOL NULL SS NS BS M L.

Canonical form (the invariants ``canonical_item`` establishes; equal items compare equal with ``==``):
* every AttributeValue is a fresh one-key dict (no dict of the input is shared with the output);
* N and NS members are rendered by ``canonical_number``: plain positional notation, no exponent, no leading zeros,
  no trailing fractional zeros, no ``+``, ``0`` for every zero ("1.50" -> "1.5", "1E2" -> "100", "-0" -> "0",
  "1e-3" -> "0.001"), as DynamoDB returns numbers;
* SS sorted by code point (which is UTF-8 byte order), NS by numeric value, BS by unsigned bytes;
* M and L canonical recursively; the table's key attributes (``key_names``) come first in the returned dict.
Like DynamoDB's JSON front end, a type key whose payload is ``None`` (JSON null) and an unknown type key are
ignored, so ``{"S": "x", "X": 1}`` is ``{"S": "x"}`` and ``{"X": 1}`` is an empty AttributeValue. Empty S, B and
set members are valid (key attributes excepted, see ``check_key``); top-level names must be non-empty, map keys
may be empty; values nest at most ``MAX_DEPTH`` (32) levels. Duplicate set members are found after
canonicalisation (NS "1" and "1.0" are duplicates) and reported as AWS does: SS members as given, BS members in
base64 (as on the wire, with AWS's missing space before "of type BS"), NS without a member list.

Numbers follow Java's ``BigDecimal`` grammar over ASCII: ``[+-]? digits [. digits] [(e|E) [+-] digits]`` with at
least one mantissa digit (".5", "5." and "+5" are numbers; " 5", "NaN", "Infinity", "0x10", "1_000" are not); an
exponent beyond 32-bit range cannot be converted. Limits: at most 38 significant digits (leading and trailing
zeros do not count), magnitude at most 9.9999999999999999999999999999999999999E+125, a nonzero magnitude at
least 1E-130. Parsing is exact string arithmetic on the digits (Decimal only orders NS members); no float.

Error messages are AWS's own where known (see the constants below). Those logstore had to choose, because the
AWS text is not known or because the wire layer would have rejected the input first, are marked "logstore's".

Called by the tables write path (PutItem / UpdateItem / DeleteItem / GetItem) and by keycodec (number parts).
Thread-safety: pure functions over their arguments, no state; safe from any thread.
"""
from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

from logstore.errors import ItemKeyError, ValidationException

MAX_ITEM_SIZE = 400 * 1024
MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024
MAX_DEPTH = 32
"""An attribute value may sit at most this many levels deep; a top-level attribute's value is level 1."""
MAX_DIGITS = 38
MAX_ADJUSTED_EXPONENT = 125    # 9.99..E+125 is the largest magnitude
MIN_ADJUSTED_EXPONENT = -130   # 1E-130 is the smallest nonzero magnitude

_INVALID = "One or more parameter values were invalid: "
EMPTY_VALUE = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
MULTIPLE_TYPES = ("Supplied AttributeValue has more than one datatypes set, "
                  "must contain exactly one of the supported datatypes")
INVALID_TYPE = "Invalid attribute value type"                               # logstore's (wire layer's job in AWS)
INVALID_UTF8 = "Invalid attribute value type: string is not valid UTF-8"    # logstore's (lone surrogate)
EMPTY_NAME = _INVALID + "Empty attribute name"                              # logstore's
MAX_NAME_BYTES = 65535
NULL_NOT_TRUE = _INVALID + "Null attribute value types must have the value of true"
EMPTY_SS = _INVALID + "An string set  may not be empty"
EMPTY_NS = _INVALID + "An number set  may not be empty"
EMPTY_BS = _INVALID + "Binary sets should not be empty"
DUPLICATE_NS = "Input collection contains duplicates"
NOT_A_NUMBER = "The parameter cannot be converted to a numeric value"
TOO_MANY_DIGITS = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
TOO_DEEP = ("Nesting Levels have exceeded supported limits: "
            "Attributes in the item have nested levels beyond supported limit")
KEY_SCHEMA_MISMATCH = "The provided key element does not match the schema"
HASH_KEY_TOO_BIG = _INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes"
RANGE_KEY_TOO_BIG = _INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
ITEM_TOO_BIG = "Item size has exceeded the maximum allowed size"

_MAX_EXPONENT_TEXT = 2**31 - 1   # BigDecimal's exponent is a Java int

# Any number DynamoDB accepts; groups: sign, integer digits, fraction digits, exponent.
_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
# Text that is already canonical; with len(text) <= 38 it also has <= 38 digits and is in range.
_CANONICAL = re.compile(r"-?[1-9][0-9]*(?:\.[0-9]*[1-9])?|-?0\.[0-9]*[1-9]|0")
_is_canonical = _CANONICAL.fullmatch


# ---------------------------------------------------------------------------------------------------------------
# Numbers


def number_parts(text: str) -> tuple[bool, str, int]:
    """``(negative, digits, exponent)`` with value = (-1 if negative) * int(digits) * 10**exponent, where digits
    has no leading or trailing zeros; zero is ``(False, "", 0)``. Raises ValidationException as DynamoDB does."""
    if type(text) is not str:
        raise ValidationException(INVALID_TYPE)
    m = _NUMBER.fullmatch(text)
    if m is None or not (m.group(2) or m.group(3)):
        raise ValidationException(f"{NOT_A_NUMBER}: {text}" if text else NOT_A_NUMBER)
    sign, whole, fraction, exp_text = m.groups()
    fraction = fraction or ""
    exponent = 0
    if exp_text:
        magnitude = exp_text.lstrip("+-").lstrip("0")
        if len(magnitude) > 10 or int(magnitude or "0") > _MAX_EXPONENT_TEXT:
            raise ValidationException(f"{NOT_A_NUMBER}: {text}")
        exponent = -int(magnitude or "0") if exp_text[0] == "-" else int(magnitude or "0")
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return False, "", 0
    core = digits.rstrip("0")
    exponent += len(digits) - len(core) - len(fraction)
    adjusted = exponent + len(core) - 1
    if adjusted > MAX_ADJUSTED_EXPONENT:
        raise ValidationException(OVERFLOW)
    if adjusted < MIN_ADJUSTED_EXPONENT:
        raise ValidationException(UNDERFLOW)
    if len(core) > MAX_DIGITS:
        raise ValidationException(TOO_MANY_DIGITS)
    return sign == "-", core, exponent


def render_number(negative: bool, digits: str, exponent: int) -> str:
    """The canonical text of ``number_parts``' result (plain positional notation)."""
    if not digits:
        return "0"
    if exponent >= 0:
        text = digits + "0" * exponent
    else:
        point = len(digits) + exponent
        text = digits[:point] + "." + digits[point:] if point > 0 else "0." + "0" * -point + digits
    return "-" + text if negative else text


def canonical_number(text: str) -> str:
    """DynamoDB's rendering of a Number: "1.50" -> "1.5", "1E2" -> "100", "-0" -> "0", "1e-3" -> "0.001".

    Always plain positional notation, as DynamoDB returns numbers (1E+125 comes back as "1" and 125 zeros).
    Raises ValidationException with DynamoDB's message for text that is not a number or is out of range."""
    if type(text) is str and len(text) <= MAX_DIGITS and _is_canonical(text):
        return text
    return render_number(*number_parts(text))


# ---------------------------------------------------------------------------------------------------------------
# Canonical items


def canonical_item(item: dict, *, key_names: tuple[str, ...] | list[str] = ()) -> dict:
    """Validate ``item`` as DynamoDB validates a PutItem ``Item``; return its canonical copy (see module doc).

    Only value validity is checked here; the key rules are ``check_key``'s. ``key_names`` (the table's key
    attribute names, HASH first) only puts those attributes first in the returned dict."""
    if type(item) is not dict:
        raise ValidationException(INVALID_TYPE)
    out = {}
    for name in key_names:   # reserve the first places; the loop below fills them
        if name in item:
            out[name] = None
    for name, av in item.items():
        if type(name) is not str or not name or not name.isascii() or len(name) > MAX_NAME_BYTES:
            _check_name(name)
        if type(av) is dict and len(av) == 1:   # fast paths: an ASCII string, a canonical number
            payload = av.get("S")
            if payload is not None:
                if type(payload) is str and payload.isascii():
                    out[name] = {"S": payload}
                    continue
            else:
                payload = av.get("N")
                if type(payload) is str and len(payload) <= MAX_DIGITS and (
                        payload.isdigit() and payload.isascii() and (payload[0] != "0" or payload == "0")
                        or _is_canonical(payload)):
                    out[name] = {"N": payload}
                    continue
        out[name] = _value(av, 1)
    return out


def _check_name(name: Any) -> None:
    if type(name) is not str:
        raise ValidationException(INVALID_TYPE)
    if not name:
        raise ValidationException(EMPTY_NAME)
    if len(name) > MAX_NAME_BYTES // 4:        # only a long name can pass the limit: count its bytes then
        check_name_size(name)
    _check_utf8(name)


def check_name_size(name: str, what: str = "Attribute name") -> None:
    """An attribute name is at most 64 KB - 1 (65535 bytes of UTF-8), as DynamoDB counts it."""
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        raise ValidationException(f"{_INVALID}{what} exceeds the maximum allowed size of {MAX_NAME_BYTES} bytes; "
                                  f"size: {size}")


def _check_utf8(text: str) -> None:
    if not _is_utf8(text):
        raise ValidationException(INVALID_UTF8)


def _is_utf8(text: str) -> bool:
    """False for a str that has no UTF-8 form (a lone surrogate, which JSON's \\ud800 escape can produce)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _typed(payload: Any, kind: type) -> Any:
    if type(payload) is not kind:
        raise ValidationException(INVALID_TYPE)
    return payload


def _value(av: Any, depth: int) -> dict:
    """The canonical copy of one AttributeValue found ``depth`` levels deep."""
    if type(av) is dict and len(av) == 1:
        payload = av.get("S")
        if payload is not None:
            if type(payload) is str and (payload.isascii() or _is_utf8(payload)):
                return {"S": payload}
        else:
            payload = av.get("N")
            if type(payload) is str and len(payload) <= MAX_DIGITS and _is_canonical(payload):
                return {"N": payload}
        for kind, payload in av.items():
            canon = _CANON.get(kind)
            if canon is not None and payload is not None:
                return {kind: canon(payload, depth)}
    return _value_slow(av, depth)


def _value_slow(av: Any, depth: int) -> dict:
    if type(av) is not dict:
        raise ValidationException(INVALID_TYPE)
    present = [(kind, payload) for kind, payload in av.items() if kind in _CANON and payload is not None]
    if not present:
        raise ValidationException(EMPTY_VALUE)
    # DynamoDB reports a bad payload before it reports a second type.
    values = {kind: _CANON[kind](payload, depth) for kind, payload in present}
    if len(values) > 1:
        raise ValidationException(MULTIPLE_TYPES)
    return values


def _s(payload: Any, depth: int) -> str:
    _check_utf8(_typed(payload, str))
    return payload


def _null(payload: Any, depth: int) -> bool:
    if not _typed(payload, bool):
        raise ValidationException(NULL_NOT_TRUE)
    return True


def _ss(payload: Any, depth: int) -> list[str]:
    if not _typed(payload, list):
        raise ValidationException(EMPTY_SS)
    for member in payload:
        if not _typed(member, str).isascii():
            _check_utf8(member)
    if len(set(payload)) != len(payload):
        raise ValidationException(f"{_INVALID}Input collection [{', '.join(payload)}] contains duplicates.")
    return sorted(payload)


def _ns(payload: Any, depth: int) -> list[str]:
    if not _typed(payload, list):
        raise ValidationException(EMPTY_NS)
    members = [canonical_number(member) for member in payload]
    if len(set(members)) != len(members):
        raise ValidationException(DUPLICATE_NS)
    return sorted(members, key=Decimal)


def _bs(payload: Any, depth: int) -> list[bytes]:
    if not _typed(payload, list):
        raise ValidationException(EMPTY_BS)
    for member in payload:
        _typed(member, bytes)
    if len(set(payload)) != len(payload):
        shown = ", ".join(base64.b64encode(member).decode("ascii") for member in payload)
        raise ValidationException(f"{_INVALID}Input collection [{shown}]of type BS contains duplicates.")
    return sorted(payload)


def _m(payload: Any, depth: int) -> dict:
    if _typed(payload, dict) and depth >= MAX_DEPTH:
        raise ValidationException(TOO_DEEP)
    out = {}
    for name, av in payload.items():
        if not _typed(name, str).isascii():
            _check_utf8(name)
        out[name] = _value(av, depth + 1)
    return out


def _l(payload: Any, depth: int) -> list[dict]:
    if _typed(payload, list) and depth >= MAX_DEPTH:
        raise ValidationException(TOO_DEEP)
    return [_value(av, depth + 1) for av in payload]


_CANON = {"S": _s, "N": lambda payload, depth: canonical_number(payload),
          "B": lambda payload, depth: _typed(payload, bytes), "BOOL": lambda payload, depth: _typed(payload, bool),
          "NULL": _null, "SS": _ss, "NS": _ns, "BS": _bs, "M": _m, "L": _l}
"""Type key -> function(payload, depth) returning the canonical payload or raising ValidationException."""


# ---------------------------------------------------------------------------------------------------------------
# Keys


def check_key(item_or_key: dict, key_schema: list[tuple[str, str]], *, exact: bool) -> None:
    """Check the primary key of a canonical item (``exact=False``, PutItem) or of a ``Key`` parameter
    (``exact=True``: GetItem / DeleteItem / UpdateItem, which must hold exactly the key attributes).

    ``key_schema`` is ``[(name, "S" | "N" | "B")]``, HASH first, then the optional RANGE. In a ``Key`` a missing,
    extra or wrongly typed attribute is "The provided key element does not match the schema"; in an item it is
    "Missing the key ..." / "Type mismatch for key ...". Empty S/B values and oversized keys fail in both."""
    if exact and len(item_or_key) != len(key_schema):
        raise ItemKeyError(KEY_SCHEMA_MISMATCH)
    for position, (name, kind) in enumerate(key_schema):
        av = item_or_key.get(name)
        if av is None:
            if exact:
                raise ItemKeyError(KEY_SCHEMA_MISMATCH)
            raise ValidationException(f"{_INVALID}Missing the key {name} in the item")
        actual = next(iter(av)) if type(av) is dict and len(av) == 1 else None
        if actual != kind:
            raise ItemKeyError(KEY_SCHEMA_MISMATCH if exact else
                               f"{_INVALID}Type mismatch for key {name} expected: {kind} actual: {actual}")
        if kind == "N":
            continue
        value = av[kind]
        size = len(value.encode("utf-8")) if kind == "S" else len(value)
        if not size:
            what = "string" if kind == "S" else "binary"
            raise ValidationException("One or more parameter values are not valid. The AttributeValue for a key "
                                      f"attribute cannot contain an empty {what} value. Key: {name}")
        if position == 0 and size > MAX_HASH_KEY_BYTES:
            raise ValidationException(HASH_KEY_TOO_BIG)
        if position == 1 and size > MAX_RANGE_KEY_BYTES:
            raise ValidationException(RANGE_KEY_TOO_BIG)


# ---------------------------------------------------------------------------------------------------------------
# Sizes


def item_size(item: dict) -> int:
    """DynamoDB's size of a canonical item (or Keys map): Σ UTF-8 length of each name + size of its value, where
    S = UTF-8 bytes, N = (significant digits + 1) // 2 + 1, B = bytes, BOOL/NULL = 1, SS/NS/BS = Σ members,
    M/L = 3 + Σ (1 + element size), a map element counting its name. No per-item overhead (spec §4.3)."""
    total = 0
    for name, av in item.items():
        total += len(name) if name.isascii() else len(name.encode("utf-8"))
        payload = av.get("S")
        if payload is not None:
            total += len(payload) if payload.isascii() else len(payload.encode("utf-8"))
            continue
        payload = av.get("N")
        if payload is not None:
            total += (len(payload.lstrip("-").replace(".", "").strip("0")) + 1) // 2 + 1
            continue
        total += _value_size(av)
    return total


def _number_size(text: str) -> int:
    """Size of a canonical number: ceil(significant digits / 2) + 1."""
    return (len(text.lstrip("-").replace(".", "").strip("0")) + 1) // 2 + 1


def _value_size(av: dict) -> int:
    for kind, payload in av.items():
        if kind == "N":
            return _number_size(payload)
        if kind == "S":
            return len(payload) if payload.isascii() else len(payload.encode("utf-8"))
        if kind == "B":
            return len(payload)
        if kind == "BOOL" or kind == "NULL":
            return 1
        if kind == "M":
            return 3 + sum(1 + (len(name) if name.isascii() else len(name.encode("utf-8"))) + _value_size(v)
                           for name, v in payload.items())
        if kind == "L":
            return 3 + sum(1 + _value_size(v) for v in payload)
        if kind == "SS":
            return sum(len(m) if m.isascii() else len(m.encode("utf-8")) for m in payload)
        if kind == "NS":
            return sum(_number_size(m) for m in payload)
        if kind == "BS":
            return sum(len(m) for m in payload)
    raise ValueError(f"not an AttributeValue: {av!r}")


def check_item_size(item: dict) -> int:
    """``item_size(item)``, or ValidationException when it exceeds ``MAX_ITEM_SIZE`` (400 KB)."""
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise ValidationException(ITEM_TOO_BIG)
    return size
