"""Random updates applied to random items agree with a small reference evaluator written here over plain Python
values (Decimal, str, list, dict, set), independent of logstore's AttributeValue code. Both must agree on the
resulting item, or both refuse the update. Random conditions are checked the same way. The seed is printed."""
from __future__ import annotations

import copy
import random
from decimal import Decimal

from logstore.errors import ValidationException
from logstore.tables.expr import Binder, conditions, updates

# -- plain values <-> AttributeValues --------------------------------------------------------------------------------


def to_av(v):
    if isinstance(v, bool):
        return {"BOOL": v}
    if isinstance(v, Decimal):
        return {"N": format(v.normalize(), "f") if v != 0 else "0"}
    if isinstance(v, str):
        return {"S": v}
    if isinstance(v, list):
        return {"L": [to_av(x) for x in v]}
    if isinstance(v, dict):
        return {"M": {k: to_av(x) for k, x in v.items()}}
    if isinstance(v, frozenset):
        return {"SS": sorted(v)}
    raise TypeError(v)


def from_av(av):
    (t, v), = av.items()
    return {"N": Decimal, "S": str, "BOOL": bool}.get(t, lambda x: x)(v) if t in ("N", "S", "BOOL") else \
        [from_av(x) for x in v] if t == "L" else {k: from_av(x) for k, x in v.items()} if t == "M" else frozenset(v)


# -- the reference ---------------------------------------------------------------------------------------------------

class Refused(Exception):
    pass


def ref_get(item, path):
    cur = item
    for i, part in enumerate(path):
        if i == 0 or isinstance(part, str):
            if not isinstance(cur, dict) or part not in cur:
                return None
        elif not isinstance(cur, list) or part >= len(cur):
            return None
        cur = cur[part]
    return cur


def ref_parent(item, path):
    parent = item if len(path) == 1 else ref_get(item, path[:-1])
    last = path[-1]
    if len(path) > 1 and (parent is None or (isinstance(last, int) != isinstance(parent, list))
                          or not isinstance(parent, (list, dict))):
        raise Refused("invalid path")
    return parent, last


def ref_value(expr, item):
    kind = expr[0]
    if kind == "val":
        return expr[1]
    if kind == "path":
        v = ref_get(item, expr[1])
        if v is None:
            raise Refused("missing operand")
        return v
    if kind in "+-":
        a, b = ref_value(expr[1], item), ref_value(expr[2], item)
        if not (isinstance(a, Decimal) and isinstance(b, Decimal)) or isinstance(a, bool) or isinstance(b, bool):
            raise Refused("arith type")
        return a + b if kind == "+" else a - b
    if kind == "ine":
        v = ref_get(item, expr[1])
        return v if v is not None else ref_value(expr[2], item)
    a, b = ref_value(expr[1], item), ref_value(expr[2], item)  # list_append
    if not (isinstance(a, list) and isinstance(b, list)):
        raise Refused("append type")
    return a + b


def ref_static(expr):
    """The checks DynamoDB makes from the expression alone: literal operands of + - and list_append."""
    kind = expr[0]
    if kind in "+-":
        for e in expr[1:]:
            if e[0] == "val" and not isinstance(e[1], Decimal):
                raise Refused("arith literal")
    if kind == "append":
        for e in expr[1:]:
            if e[0] == "val" and not isinstance(e[1], list):
                raise Refused("append literal")
    for e in expr[1:]:
        if isinstance(e, tuple) and e and isinstance(e[0], str) and e[0] in ("val", "path", "+", "-", "ine",
                                                                             "append"):
            ref_static(e)


def ref_apply(item, sets, removes, adds):
    for _, v in sets:
        ref_static(v)
    old = item
    new = copy.deepcopy(item)
    computed = [(path, ref_value(v, old)) for path, v in sets]
    for path, value in sorted(computed, key=lambda pv: [(isinstance(p, int), p if isinstance(p, int) else 0,
                                                         p if isinstance(p, str) else "") for p in pv[0]]):
        parent, last = ref_parent(new, path)
        if isinstance(parent, list) and last >= len(parent):
            parent.append(copy.deepcopy(value))
        else:
            parent[last] = copy.deepcopy(value)
    for path in sorted(removes, key=lambda p: [(isinstance(x, int), x if isinstance(x, int) else 0,
                                                x if isinstance(x, str) else "") for x in p], reverse=True):
        parent, last = ref_parent(new, path)
        if isinstance(parent, list):
            if last < len(parent):
                del parent[last]
        else:
            parent.pop(last, None)
    for path, value in adds:
        parent, last = ref_parent(new, path)
        cur = ref_get(new, path)
        if cur is None:
            parent[last] = value
        elif isinstance(value, Decimal) and isinstance(cur, Decimal) and not isinstance(cur, bool):
            parent[last] = cur + value
        elif isinstance(value, frozenset) and isinstance(cur, frozenset):
            parent[last] = cur | value
        else:
            raise Refused("add type")
    return new


# -- random items and updates ----------------------------------------------------------------------------------------

TOP = ["a", "b", "c", "d", "e"]
KEYS = ["x", "y"]


def rand_value(rng, depth=0):
    r = rng.random()
    if r < 0.3 or depth >= 2:
        return Decimal(rng.randint(-50, 50)) / (1 if rng.random() < 0.7 else 4)
    if r < 0.45:
        return rng.choice(["s", "t", "u"])
    if r < 0.6:
        return frozenset(rng.sample(["p", "q", "r", "s"], rng.randint(1, 3)))
    if r < 0.8:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {k: rand_value(rng, depth + 1) for k in rng.sample(KEYS, rng.randint(0, 2))}


def rand_path(rng):
    path = [rng.choice(TOP)]
    while rng.random() < 0.4 and len(path) < 3:
        path.append(rng.randint(0, 3) if rng.random() < 0.5 else rng.choice(KEYS))
    return tuple(path)


def text_path(path, names):
    out = []
    for i, p in enumerate(path):
        if isinstance(p, int):
            out.append(f"[{p}]")
        else:
            alias = f"#{p}"
            names[alias] = p
            out.append(("." if i else "") + alias)
    return "".join(out)


class Builder:
    def __init__(self, rng):
        self.rng = rng
        self.names, self.values = {}, {}

    def value(self, v):
        key = f":v{len(self.values)}"
        self.values[key] = to_av(v)
        return key

    def set_value(self, depth=0):
        """(text, reference expression) of a SET value; function arguments (depth > 0) take no arithmetic."""
        rng = self.rng
        r = rng.random()
        if depth and 0.5 <= r < 0.7:
            r = 0.4
        if r < 0.35 or depth > 1:
            v = rand_value(rng)
            return self.value(v), ("val", v)
        if r < 0.5:
            p = rand_path(rng)
            return text_path(p, self.names), ("path", p)
        if r < 0.7:
            op = rng.choice("+-")
            (ta, ea), (tb, eb) = self.number_operand(), self.number_operand()
            return f"{ta} {op} {tb}", (op, ea, eb)
        if r < 0.85:
            p = rand_path(rng)
            t, e = self.set_value(depth + 1)
            return f"if_not_exists({text_path(p, self.names)}, {t})", ("ine", p, e)
        (ta, ea), (tb, eb) = self.set_value(depth + 1), self.set_value(depth + 1)
        return f"list_append({ta}, {tb})", ("append", ea, eb)

    def number_operand(self):
        if self.rng.random() < 0.5:
            v = Decimal(self.rng.randint(-9, 9))
            return self.value(v), ("val", v)
        p = (self.rng.choice(TOP),)
        return text_path(p, self.names), ("path", p)


def overlapping(paths):
    for i, p in enumerate(paths):
        for q in paths[i + 1:]:
            k = min(len(p), len(q))
            if p[:k] == q[:k]:
                return True
            d = next(j for j in range(k) if p[j] != q[j])
            if isinstance(p[d], int) != isinstance(q[d], int):
                return True
    return False


def test_random_updates_agree_with_the_reference(seed):
    rng = random.Random(seed)
    agreed = refused = 0
    for _ in range(3000):
        item = {k: rand_value(rng) for k in rng.sample(TOP, rng.randint(0, 5))}
        b = Builder(rng)
        sets = [(rand_path(rng), b.set_value()) for _ in range(rng.randint(0, 3))]
        removes = [rand_path(rng) for _ in range(rng.randint(0, 2))]
        adds = []
        for _ in range(rng.randint(0, 1)):
            v = Decimal(rng.randint(1, 5)) if rng.random() < 0.5 else frozenset(rng.sample(["p", "z"], 1))
            adds.append(((rng.choice(TOP),), v))
        all_paths = [p for p, _ in sets] + removes + [p for p, _ in adds]
        if not all_paths or overlapping(all_paths):
            continue
        clauses = []
        if sets:
            clauses.append("SET " + ", ".join(f"{text_path(p, b.names)} = {t}" for p, (t, _) in sets))
        if removes:
            clauses.append("REMOVE " + ", ".join(text_path(p, b.names) for p in removes))
        if adds:
            clauses.append("ADD " + ", ".join(f"{text_path(p, b.names)} {b.value(v)}" for p, v in adds))
        text = " ".join(clauses)
        av_item = {"k": {"S": "key"}, **{k: to_av(v) for k, v in item.items()}}
        try:
            expected = ref_apply(item, [(p, e) for p, (_, e) in sets], removes, adds)
        except Refused:
            expected = None
        try:  # binding refuses literal operands of the wrong type; applying, the rest
            tree = Binder(b.names or None, b.values or None).bind("UpdateExpression", text)
            got = updates.apply(tree, {"k": {"S": "key"}}, av_item)
        except ValidationException:
            got = None
        context = f"item={item!r} update={text!r} values={b.values!r}"
        if expected is None:
            assert got is None, f"reference refused, logstore applied: {context} -> {got}"
            refused += 1
        else:
            assert got is not None, f"logstore refused, reference applied: {context} -> {expected}"
            assert {k: from_av(v) for k, v in got.items() if k != "k"} == expected, context
            agreed += 1
    assert agreed > 250 and refused > 100, (agreed, refused)


def ref_condition(op, a, b):
    if op == "=":
        return a is not None and b is not None and type(a) is type(b) and a == b
    if op == "<>":
        return not ref_condition("=", a, b)
    if a is None or b is None or type(a) is not type(b) or not isinstance(a, (Decimal, str)):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def test_random_comparisons_agree_with_the_reference(seed):
    rng = random.Random(seed)
    for _ in range(3000):
        item = {k: rand_value(rng) for k in rng.sample(TOP, rng.randint(0, 5))}
        path = rand_path(rng)
        literal = rand_value(rng, depth=2) if rng.random() < 0.8 else rng.choice(["s", "t"])
        op = rng.choice(["=", "<>", "<", "<=", ">", ">="])
        names = {}
        text = f"{text_path(path, names)} {op} :v"
        binder = Binder(names, {":v": to_av(literal)})
        tree = binder.bind("ConditionExpression", text)
        av_item = {k: to_av(v) for k, v in item.items()}
        expected = ref_condition(op, ref_get(item, path), literal)
        assert conditions.evaluate(tree, av_item) == expected, (item, text, literal)
