"""Lambda event filtering: the pattern grammar of an event source mapping's FilterCriteria, compiled to a
predicate over one Lambda-shaped stream record.

No well-kept Python library implements this grammar (``event-ruler`` on PyPI is a single 2023 release; moto's
matcher lives inside a mocking library), so this module implements the documented grammar (Lambda developer
guide, "Lambda event filtering"; EventBridge "comparison operators"):

* A pattern is a JSON object. Every key must match (AND). A key's value is either a nested object (the event's
  value there must be an object matching it) or a non-empty array of matchers (OR); ``"$or": [pattern, ...]``
  matches when any of the listed patterns matches the same object.
* Matchers: a string, number, boolean or null (exact match; numbers by value, never equal to strings);
  ``{"prefix": s}``, ``{"suffix": s}`` (each also with ``{"equals-ignore-case": s}`` inside);
  ``{"equals-ignore-case": s}``; ``{"anything-but": v | [v...] | {"prefix": s} | {"suffix": s} |
  {"equals-ignore-case": s | [s...]}}``; ``{"numeric": [op, n]}`` or ``[op, n, op, n]`` with op in
  ``= > >= < <=``; ``{"exists": true | false}``; ``{"wildcard": "a*b"}``.
* When the event's value is an array, the key matches if any element does. A missing key matches only
  ``{"exists": false}``; ``{"exists": true}`` matches leaf values only (not objects), as Lambda does.
* Numeric matchers compare JSON numbers only. DynamoDB's ``N`` values are strings in stream records, so a
  numeric range over an item attribute does not match, exactly as on AWS.

A record passes a FilterCriteria when it matches at least one of its patterns; with no patterns every record
passes. Pure functions; compiled predicates are immutable and thread-safe.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable

from logstore.errors import InvalidProcessorConfig

Predicate = Callable[[Any], bool]
_MISSING = object()
_NUMERIC_OPS = {"=": lambda a, b: a == b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
                "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
MAX_FILTERS = 10


def _bad(message: str) -> InvalidProcessorConfig:
    return InvalidProcessorConfig(f"Invalid filter pattern: {message}")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _scalar_equal(a, b) -> bool:
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _string_test(spec, what: str) -> Callable[[str], bool]:
    """A test over strings for the value of ``prefix``/``suffix``: a string, or {"equals-ignore-case": s}."""
    if isinstance(spec, str):
        return {"prefix": lambda v: v.startswith(spec), "suffix": lambda v: v.endswith(spec)}[what]
    if isinstance(spec, dict) and list(spec) == ["equals-ignore-case"] and isinstance(spec["equals-ignore-case"], str):
        low = spec["equals-ignore-case"].casefold()
        return {"prefix": lambda v: v.casefold().startswith(low), "suffix": lambda v: v.casefold().endswith(low)}[what]
    raise _bad(f"{what} takes a string or {{\"equals-ignore-case\": string}}, not {spec!r}")


def _wildcard(spec) -> Callable[[str], bool]:
    if not isinstance(spec, str):
        raise _bad(f"wildcard takes a string, not {spec!r}")
    if "**" in spec:
        raise _bad("wildcard may not contain consecutive '*'")
    rx = re.compile("".join(".*" if c == "*" else re.escape(c) for c in spec.replace("\\*", "\0"))
                    .replace("\0", re.escape("*")), re.S)
    return lambda v: rx.fullmatch(v) is not None


def _numeric(spec) -> Callable[[Any], bool]:
    if not isinstance(spec, list) or len(spec) not in (2, 4):
        raise _bad(f"numeric takes [op, number] or [op, number, op, number], not {spec!r}")
    tests = []
    for op, n in zip(spec[::2], spec[1::2]):
        if op not in _NUMERIC_OPS or not _is_number(n):
            raise _bad(f"numeric: {op!r} {n!r} is not an operator (= > >= < <=) and a number")
        tests.append((_NUMERIC_OPS[op], n))
    if len(tests) == 2 and (spec[0] not in (">", ">=") or spec[2] not in ("<", "<=")):
        raise _bad("numeric range must be a lower bound (> or >=) then an upper bound (< or <=)")
    return lambda v: _is_number(v) and all(t(v, n) for t, n in tests)


def _anything_but(spec) -> Callable[[Any], bool]:
    if isinstance(spec, dict):
        if len(spec) != 1:
            raise _bad(f"anything-but takes one operator, not {spec!r}")
        (op, arg), = spec.items()
        if op in ("prefix", "suffix"):
            test = _string_test(arg, op)
            return lambda v: isinstance(v, str) and not test(v)
        if op == "equals-ignore-case":
            values = arg if isinstance(arg, list) else [arg]
            if not values or not all(isinstance(x, str) for x in values):
                raise _bad("anything-but equals-ignore-case takes a string or a list of strings")
            folded = {x.casefold() for x in values}
            return lambda v: isinstance(v, str) and v.casefold() not in folded
        if op == "wildcard":
            test = _wildcard(arg)
            return lambda v: isinstance(v, str) and not test(v)
        raise _bad(f"anything-but does not take {op!r}")
    values = spec if isinstance(spec, list) else [spec]
    for x in values:
        if isinstance(x, (dict, list)):
            raise _bad(f"anything-but takes values, not {x!r}")
    return lambda v: v is not _MISSING and not isinstance(v, dict) and not any(_scalar_equal(v, x) for x in values)


def _matcher(spec) -> tuple[Predicate, bool]:
    """(predicate over one event value or _MISSING, whether it is an ``exists`` test)."""
    if spec is None or isinstance(spec, (str, bool, int, float)):
        return (lambda v: v is not _MISSING and _scalar_equal(v, spec)), False
    if not isinstance(spec, dict) or len(spec) != 1:
        raise _bad(f"a matcher is a value or an object with one operator, not {spec!r}")
    (op, arg), = spec.items()
    if op in ("prefix", "suffix"):
        test = _string_test(arg, op)
        return (lambda v: isinstance(v, str) and test(v)), False
    if op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise _bad("equals-ignore-case takes a string")
        low = arg.casefold()
        return (lambda v: isinstance(v, str) and v.casefold() == low), False
    if op == "wildcard":
        test = _wildcard(arg)
        return (lambda v: isinstance(v, str) and test(v)), False
    if op == "anything-but":
        return _anything_but(arg), False
    if op == "numeric":
        return _numeric(arg), False
    if op == "exists":
        if not isinstance(arg, bool):
            raise _bad("exists takes true or false")
        if arg:
            return (lambda v: v is not _MISSING and not isinstance(v, dict)), True
        return (lambda v: v is _MISSING), True
    raise _bad(f"unknown operator {op!r}")


def _leaf(specs: list) -> Predicate:
    if not specs:
        raise _bad("an array of matchers must not be empty")
    matchers = [_matcher(s) for s in specs]

    def test(value) -> bool:
        if isinstance(value, list):  # an array in the event: any element may match
            if not value:
                return any(is_exists and m(_MISSING) for m, is_exists in matchers)
            return any(m(x) for x in value for m, _ in matchers)
        return any(m(value) for m, _ in matchers)
    return test


def _object(pattern) -> Predicate:
    if not isinstance(pattern, dict) or not pattern:
        raise _bad(f"a pattern is a non-empty JSON object, not {pattern!r}")
    tests: list[Callable[[dict], bool]] = []
    for key, spec in pattern.items():
        if key == "$or":
            if not isinstance(spec, list) or len(spec) < 2:
                raise _bad("$or takes a list of at least two patterns")
            alternatives = [_object(p) for p in spec]
            tests.append(lambda obj, alts=alternatives: any(a(obj) for a in alts))
        elif isinstance(spec, dict):
            inner = _object(spec)
            def nested(obj, k=key, f=inner) -> bool:
                value = obj.get(k, _MISSING)
                if value is _MISSING:    # only {"exists": false} below can match inside a missing object
                    return f({})
                return isinstance(value, dict) and f(value)
            tests.append(nested)
        elif isinstance(spec, list):
            leaf = _leaf(spec)
            tests.append(lambda obj, k=key, f=leaf: f(obj.get(k, _MISSING)))
        else:
            raise _bad(f"the value of {key!r} must be an object or an array of matchers, not {spec!r}")
    return lambda obj: isinstance(obj, dict) and all(t(obj) for t in tests)


def compile_pattern(pattern: dict | str) -> Predicate:
    """One pattern (a dict, or its JSON text as in FilterCriteria's ``Pattern``) as a predicate over a record."""
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError as e:
            raise _bad(f"not JSON: {e}") from None
    return _object(pattern)


def compile_filters(patterns: Iterable[dict | str] | None) -> Predicate | None:
    """A FilterCriteria's patterns as one predicate (a record passes if any pattern matches), or None when there
    are none (every record passes)."""
    compiled = [compile_pattern(p) for p in (patterns or ())]
    if len(compiled) > MAX_FILTERS:
        raise InvalidProcessorConfig(f"at most {MAX_FILTERS} filter patterns, got {len(compiled)}")
    if not compiled:
        return None
    if len(compiled) == 1:
        return compiled[0]
    return lambda record: any(p(record) for p in compiled)
