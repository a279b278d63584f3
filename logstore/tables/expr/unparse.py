"""Expression trees back to text: ``unparse(parse(kind, text))`` parses to the same tree (the property tests hold
the parser to that). Conditions are fully parenthesised, so the text needs no precedence to read back.

Works on unbound trees (``#name`` parts, ``Value``) and on bound ones whose names are plain identifiers. Pure.
"""
from __future__ import annotations

from . import nodes as n


def path(p: n.Path) -> str:
    out = []
    for part in p.parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(("." if out else "") + part)
    return "".join(out)


def operand(o: object) -> str:
    if isinstance(o, n.Path):
        return path(o)
    if isinstance(o, n.Value):
        return o.name
    if isinstance(o, n.Func):
        return f"{o.name}({', '.join(_grouped(a) for a in o.args)})"
    if isinstance(o, n.Arith):
        return f"{_grouped(o.left)} {o.op} {_grouped(o.right)}"
    raise TypeError(f"not an operand: {o!r}")


def _grouped(o: object) -> str:
    return f"({operand(o)})" if isinstance(o, n.Arith) else operand(o)


def condition(c: object) -> str:
    if isinstance(c, n.Compare):
        return f"{operand(c.left)} {c.op} {operand(c.right)}"
    if isinstance(c, n.Between):
        return f"{operand(c.operand)} BETWEEN {operand(c.low)} AND {operand(c.high)}"
    if isinstance(c, n.In):
        return f"{operand(c.operand)} IN ({', '.join(operand(o) for o in c.choices)})"
    if isinstance(c, n.And):
        return f"({condition(c.left)}) AND ({condition(c.right)})"
    if isinstance(c, n.Or):
        return f"({condition(c.left)}) OR ({condition(c.right)})"
    if isinstance(c, n.Not):
        return f"NOT ({condition(c.operand)})"
    if isinstance(c, n.Func):
        return operand(c)
    raise TypeError(f"not a condition: {c!r}")


def update(u: n.Update) -> str:
    clauses = []
    if u.sets:
        clauses.append("SET " + ", ".join(f"{path(a.path)} = {operand(a.value)}" for a in u.sets))
    if u.removes:
        clauses.append("REMOVE " + ", ".join(path(a.path) for a in u.removes))
    if u.adds:
        clauses.append("ADD " + ", ".join(f"{path(a.path)} {operand(a.value)}" for a in u.adds))
    if u.deletes:
        clauses.append("DELETE " + ", ".join(f"{path(a.path)} {operand(a.value)}" for a in u.deletes))
    return " ".join(clauses)


def projection(p: n.Projection) -> str:
    return ", ".join(path(x) for x in p.paths)


def unparse(tree: object) -> str:
    if isinstance(tree, n.Update):
        return update(tree)
    if isinstance(tree, n.Projection):
        return projection(tree)
    return condition(tree)
