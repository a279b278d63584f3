"""The expression parser: trees for the grammar's constructs, precedence, errors in AWS's words, the cache, and the
property that random trees render to text and parse back to themselves."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logstore.errors import ValidationException
from logstore.tables.expr import nodes as n
from logstore.tables.expr import parser
from logstore.tables.expr.unparse import unparse

P = n.Path
V = n.Value


def cond(text):
    return parser.parse("ConditionExpression", text)


def upd(text):
    return parser.parse("UpdateExpression", text)


def test_paths_with_names_maps_and_indexes():
    tree = parser.parse("ProjectionExpression", "a.b[2].c, #n[0][1], #n.#m")
    assert tree == n.Projection((P(("a", "b", 2, "c")), P(("#n", 0, 1)), P(("#n", "#m"))))


def test_precedence_not_over_and_over_or():
    assert cond("a = :x OR b = :y AND NOT c = :z") == n.Or(
        n.Compare("=", P(("a",)), V(":x")),
        n.And(n.Compare("=", P(("b",)), V(":y")), n.Not(n.Compare("=", P(("c",)), V(":z")))))
    assert cond("(a = :x OR b = :y) AND c = :z") == n.And(
        n.Or(n.Compare("=", P(("a",)), V(":x")), n.Compare("=", P(("b",)), V(":y"))),
        n.Compare("=", P(("c",)), V(":z")))


def test_and_or_are_left_associative_and_keywords_case_insensitive():
    assert cond("a = :x and b = :y AnD c = :z") == n.And(
        n.And(n.Compare("=", P(("a",)), V(":x")), n.Compare("=", P(("b",)), V(":y"))),
        n.Compare("=", P(("c",)), V(":z")))


def test_between_in_functions_and_size():
    assert cond("a BETWEEN :lo AND :hi") == n.Between(P(("a",)), V(":lo"), V(":hi"))
    assert cond("a IN (:x, :y)") == n.In(P(("a",)), (V(":x"), V(":y")))
    assert cond("size(a.b) >= :n") == n.Compare(">=", n.Func("size", (P(("a", "b")),)), V(":n"))
    assert cond("begins_with(a, :p) AND attribute_not_exists(#k)") == n.And(
        n.Func("begins_with", (P(("a",)), V(":p"))), n.Func("attribute_not_exists", (P(("#k",)),)))


def test_update_clauses():
    tree = upd("SET a = a + :one, b = list_append(if_not_exists(b, :e), :l) REMOVE c[1], d ADD e :n DELETE f :s")
    assert tree == n.Update(
        sets=(n.Set(P(("a",)), n.Arith("+", P(("a",)), V(":one"))),
              n.Set(P(("b",)), n.Func("list_append", (n.Func("if_not_exists", (P(("b",)), V(":e"))), V(":l"))))),
        removes=(n.Remove(P(("c", 1))), n.Remove(P(("d",)))),
        adds=(n.Add(P(("e",)), V(":n")),),
        deletes=(n.Delete(P(("f",)), V(":s")),))


@pytest.mark.parametrize("kind, text, message", [
    ("UpdateExpression", "SET", 'Syntax error; token: "<EOF>", near: "SET"'),
    ("UpdateExpression", "SET a = :v,", 'Syntax error; token: "<EOF>", near: ","'),
    ("UpdateExpression", "SET a = :v + :w + :x", 'Syntax error; token: "+", near: ":w + :x"'),
    ("UpdateExpression", "PUT a = :v", 'Syntax error; token: "PUT", near: "PUT a"'),
    ("UpdateExpression", "ADD a b", 'Syntax error; token: "b", near: "a b"'),
    ("UpdateExpression", "SET a[x] = :v", 'Syntax error; token: "x", near: "[x]"'),
    ("UpdateExpression", "REMOVE a REMOVE b", 'The "REMOVE" section can only be used once in an update expression;'),
    ("UpdateExpression", "SET a = if_not_exists(:v, :w)",
     "Operator or function requires a document path; operator or function: if_not_exists"),
    ("ConditionExpression", "a = :v !", 'Syntax error; token: "!", near: ":v !"'),
    ("ConditionExpression", "a BETWEEN :x", 'Syntax error; token: "<EOF>", near: ":x"'),
    ("ConditionExpression", "(a = :v", 'Syntax error; token: "<EOF>", near: ":v"'),
    ("ConditionExpression", "a", 'Syntax error; token: "<EOF>", near: "a"'),
    ("ConditionExpression", "Attribute_Exists(a)", "Invalid function name; function: Attribute_Exists"),
    ("ConditionExpression", "if_not_exists(a, :v)",
     "The function is not allowed in a condition expression; function: if_not_exists"),
    ("ConditionExpression", "contains(a) ", "Incorrect number of operands for operator or function; operator or "
                                            "function: contains, number of operands: 1"),
    ("ConditionExpression", "attribute_exists(a) = :v",
     "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    ("ConditionExpression", "name = :v", "Attribute name is a reserved keyword; reserved keyword: name"),
    ("ConditionExpression", "a.year = :v", "Attribute name is a reserved keyword; reserved keyword: year"),
    ("ProjectionExpression", "a,, b", 'Syntax error; token: ",", near: ",, b"'),
    ("ProjectionExpression", "   ", "The expression can not be empty;"),
])
def test_errors_name_the_expression_and_the_problem(kind, text, message):
    with pytest.raises(ValidationException) as err:
        parser.parse(kind, text)
    assert err.value.message == f"Invalid {kind}: {message}"


def test_parses_are_cached():
    parser.parse.cache_clear()
    text = "SET a = a + :one, b = :b"
    first = upd(text)
    assert upd(text) is first
    info = parser.parse.cache_info()
    assert info.hits == 1 and info.misses == 1


# -- round trip: random trees -> text -> the same trees --------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "price", "x_1", "#n", "#m", "#k0"])
paths = st.builds(lambda first, rest: P((first,) + tuple(rest)), NAMES,
                  st.lists(st.one_of(NAMES, st.integers(0, 30)), max_size=3))
values = st.sampled_from([V(":v"), V(":w"), V(":x1")])
operands = st.one_of(paths, values, st.builds(lambda p: n.Func("size", (p,)), paths))
comparisons = st.builds(n.Compare, st.sampled_from(n.COMPARATORS), operands, operands)
leaves = st.one_of(
    comparisons,
    st.builds(n.Between, operands, operands, operands),
    st.builds(lambda o, cs: n.In(o, tuple(cs)), operands, st.lists(operands, min_size=1, max_size=4)),
    st.builds(lambda p: n.Func("attribute_exists", (p,)), paths),
    st.builds(lambda p: n.Func("attribute_not_exists", (p,)), paths),
    st.builds(lambda p, v: n.Func("attribute_type", (p, v)), paths, values),
    st.builds(lambda p, o: n.Func("begins_with", (p, o)), paths, operands),
    st.builds(lambda p, o: n.Func("contains", (p, o)), paths, operands),
)
conditions = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(n.And, inner, inner), st.builds(n.Or, inner, inner), st.builds(n.Not, inner)), max_leaves=8)

set_operands = st.recursive(st.one_of(paths, values), lambda inner: st.one_of(
    st.builds(lambda p, o: n.Func("if_not_exists", (p, o)), paths, inner),
    st.builds(lambda a, b: n.Func("list_append", (a, b)), inner, inner),
    st.builds(n.Arith, st.sampled_from("+-"), inner, inner)), max_leaves=4)   # parenthesised when nested
set_values = st.one_of(set_operands, st.builds(n.Arith, st.sampled_from("+-"), set_operands, set_operands))
updates = st.builds(
    n.Update,
    st.lists(st.builds(n.Set, paths, set_values), max_size=3).map(tuple),
    st.lists(st.builds(n.Remove, paths), max_size=3).map(tuple),
    st.lists(st.builds(n.Add, paths, values), max_size=2).map(tuple),
    st.lists(st.builds(n.Delete, paths, values), max_size=2).map(tuple),
).filter(lambda u: u.actions())


@settings(max_examples=300, deadline=None, print_blob=True)
@given(conditions)
def test_random_conditions_round_trip(tree):
    assert parser.parse("ConditionExpression", unparse(tree)) == tree


@settings(max_examples=300, deadline=None, print_blob=True)
@given(updates)
def test_random_updates_round_trip(tree):
    assert parser.parse("UpdateExpression", unparse(tree)) == tree


@settings(max_examples=100, deadline=None, print_blob=True)
@given(st.lists(paths, min_size=1, max_size=5))
def test_random_projections_round_trip(found):
    tree = n.Projection(tuple(found))
    assert parser.parse("ProjectionExpression", unparse(tree)) == tree
