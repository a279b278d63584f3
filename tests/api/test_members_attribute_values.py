"""api/members.py's AttributeValue walker: the specialised walk of the common case (a one-member value handed on
unchanged without a call per member) gives exactly what the generic walk gives (its spec): the same value, the
same copy, or the same SerializationException word for word, through both doors, on random values, valid and not
(hypothesis; the seed is the test's printed seed, replay with LOGSTORE_SEED=<seed>)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from logstore.api import members
from logstore.api.operations import SHAPES
from logstore.errors import SerializationException

PREFIX = "DynamoDB_20120810"
KINDS = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"]
TEXT = st.one_of(st.text(max_size=6), st.sampled_from(["", "a", "é", "\ud800", "\U0001f600", "x" * 30]))
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), TEXT,
                 st.binary(max_size=4), st.binary(max_size=4).map(bytearray), st.tuples(st.integers()))
KEYS = st.one_of(TEXT, st.sampled_from(KINDS), st.integers(0, 3), st.binary(max_size=2))


def _shaped(inner):
    """A dict under an AttributeValue kind (usually one member, the right type), or a container of anything."""
    return st.one_of(
        st.builds(lambda k, v: {k: v}, st.sampled_from(KINDS), st.one_of(
            inner, st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3),
            st.lists(st.one_of(TEXT, JUNK), max_size=3))),
        st.dictionaries(st.one_of(st.sampled_from(KINDS), KEYS), inner, max_size=3),
        st.lists(inner, max_size=3))


VALUES = st.recursive(st.one_of(
    TEXT.map(lambda s: {"S": s}), TEXT.map(lambda s: {"N": s}), st.booleans().map(lambda b: {"BOOL": b}),
    st.booleans().map(lambda b: {"NULL": b}), st.lists(TEXT, max_size=3).map(lambda v: {"SS": v}),
    st.binary(max_size=3).map(lambda b: {"B": b}), JUNK), _shaped, max_leaves=14)


def walkers(from_json: bool):
    specialised = members._compilers[(PREFIX, from_json)].walker("AttributeValue")
    generic = members._Compiler(SHAPES[PREFIX], from_json, specialised=False).walker("AttributeValue")
    assert specialised is not generic
    return specialised, generic


def outcome(walk, value, depth: int = 0):
    """What a walk makes of ``value``: its result (by repr, so bytes and bytearray, 1 and 1.0, differ) and whether
    it is ``value`` itself, or the error's type and words."""
    try:
        out = walk(value, depth)
    except SerializationException as e:
        return "error", str(e)
    return "ok", repr(out), out is value


def test_the_specialised_walk_gives_what_the_generic_walk_gives(seed):
    doors = {from_json: walkers(from_json) for from_json in (False, True)}

    @settings(max_examples=3000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(VALUES, st.booleans(), st.sampled_from([0, 1, 2, 40, members.MAX_DEPTH - 2, members.MAX_DEPTH - 1,
                                                   members.MAX_DEPTH, members.MAX_DEPTH + 1]))
    def check(value, from_json, depth):
        specialised, generic = doors[from_json]
        assert outcome(specialised, value, depth) == outcome(generic, value, depth)
    check()


def nested(levels: int) -> dict:
    value: dict = {"S": "x"}
    for i in range(levels):
        value = {"L": [value]} if i % 2 else {"M": {"k": value}}
    return value


def test_nesting_is_refused_at_the_same_depth():
    for from_json in (False, True):
        specialised, generic = walkers(from_json)
        for levels in (0, 1, 30, 31, 32, 33, 40):
            value = nested(levels)
            assert outcome(specialised, value) == outcome(generic, value)
        assert outcome(specialised, nested(31)) == ("ok", repr(nested(31)), True)
        assert outcome(specialised, nested(40))[0] == "error"


def test_the_common_values_are_handed_on_as_they_are():
    item = {"S": "a"}, {"N": "1"}, {"BOOL": False}, {"NULL": True}, {"SS": ["a", "b"]}, {"NS": ["1"]}, \
        {"M": {"x": {"L": [{"S": "y"}, {"M": {}}]}}}, {"L": []}
    for from_json in (False, True):
        specialised, _ = walkers(from_json)
        for value in item:
            assert specialised(value, 0) is value


TRICKY = [
    {"L": [{"S": 5}, None]}, {"L": [None, {"S": 5}]}, {"M": {"a": {"S": 5}, 5: {"S": "x"}}}, {"M": {5: {"S": 5}}},
    {"M": {"é": {"S": "x"}}}, {"M": {"\ud800": {"S": "x"}}}, {"M": {"a": None}}, {"SS": ["a", None]},
    {"SS": ["a", 5]}, {"NS": ["1", "é"]}, {"S": "\ud800"}, {"S": "é"}, {"B": "AAE="}, {"B": b"\x00"},
    {"L": [{"B": bytearray(b"x")}]}, {"L": [{"B": b"x"}]}, {"S": "x", "N": "1"}, {"X": 1}, {}, {"S": None},
    {"BOOL": 1}, {"NULL": None}, {"M": {"a": {"L": [{"S": "x"}, {"X": 1}]}}}, {"L": ({"S": "x"},)},
]


def test_tricky_values_are_answered_as_the_generic_walk_answers_them():
    for from_json in (False, True):
        specialised, generic = walkers(from_json)
        for value in TRICKY:
            assert outcome(specialised, value) == outcome(generic, value), (from_json, value)
