"""The expression syntax tree: one frozen dataclass per construct of DynamoDB's expression languages.

A parsed expression (parser.py) holds placeholders as written: ``Path`` parts are bare names (``"a"``),
expression attribute names (``"#n"``, kept with their ``#``) and list indexes (``int``); values are
``Value(":v")``. Binding (binding.py) returns the same tree with every ``#name`` replaced by the attribute name it
stands for (``Path.parts`` then holds real names and indexes) and every ``Value`` by a ``Literal`` carrying the
canonical AttributeValue. The evaluators (conditions.py, updates.py, projection.py) only ever see bound trees.

Pure values; safe to share between threads (the parser's cache does).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Path:
    """A document path: ``a.b[2].c`` is ``Path(("a", "b", 2, "c"))``. The first part is always a name."""

    parts: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Value:
    """An expression attribute value placeholder, ``:name`` (unbound trees only)."""

    name: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A bound value: a canonical AttributeValue such as ``{"N": "5"}`` (bound trees only)."""

    value: dict[str, Any]   # {tag: value}; the value's type depends on the tag

    def __hash__(self) -> int:  # AttributeValues are dicts; trees are compared, rarely hashed
        return hash(repr(self.value))


@dataclass(frozen=True, slots=True)
class Func:
    """A function call: ``size(a)``, ``if_not_exists(a, :v)``, ``attribute_exists(a)``..."""

    name: str
    args: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Arith:
    """``left + right`` or ``left - right`` (SET values only)."""

    op: str
    left: object
    right: object


# -- conditions -----------------------------------------------------------------------------------------------------

COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Between:
    operand: object
    low: object
    high: object


@dataclass(frozen=True, slots=True)
class In:
    operand: object
    choices: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Or:
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Not:
    operand: object


# -- updates --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Set:
    path: Path
    value: object          # an operand, a Func (if_not_exists, list_append) or an Arith


@dataclass(frozen=True, slots=True)
class Remove:
    path: Path


@dataclass(frozen=True, slots=True)
class Add:
    path: Path
    value: object          # a Value / Literal


@dataclass(frozen=True, slots=True)
class Delete:
    path: Path
    value: object          # a Value / Literal


@dataclass(frozen=True, slots=True)
class Update:
    """An UpdateExpression: its clauses' actions in the order written within each clause."""

    sets: tuple[Set, ...] = ()
    removes: tuple[Remove, ...] = ()
    adds: tuple[Add, ...] = ()
    deletes: tuple[Delete, ...] = ()

    def actions(self) -> tuple[Set | Remove | Add | Delete, ...]:
        return self.sets + self.removes + self.adds + self.deletes


@dataclass(frozen=True, slots=True)
class Projection:
    """A ProjectionExpression: the paths to return."""

    paths: tuple[Path, ...]


CONDITION_FUNCTIONS = ("attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains")
OPERAND_FUNCTIONS = ("size",)
UPDATE_FUNCTIONS = ("if_not_exists", "list_append")
PATH_FIRST_FUNCTIONS = ("attribute_exists", "attribute_not_exists", "if_not_exists")   # size: a path or a value
ARITY = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2,
         "size": 1, "if_not_exists": 2, "list_append": 2}
