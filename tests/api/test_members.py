"""api/members.py, the one member-type check: what it hands the engine, and that it never changes the caller's
request (it copies only the containers that need a change). The faults themselves, through both doors, are
tests/server/test_member_types.py."""
from __future__ import annotations

import copy

import pytest

from logstore.api import members
from logstore.api.operations import INPUTS
from logstore.errors import SerializationException


def test_unknown_and_none_members_are_left_out_and_the_request_is_not_changed():
    request = {"TableName": "t", "Item": {"pk": {"S": "a", "X": 1}, "b": {"B": bytearray(b"\x01")}, "n": None},
               "Nope": 1, "ReturnValues": None}
    before = copy.deepcopy(request)
    out = members.checked("PutItem", request)
    assert out == {"TableName": "t", "Item": {"pk": {"S": "a"}, "b": {"B": b"\x01"}, "n": None}}
    assert type(out["Item"]["b"]["B"]) is bytes
    assert request == before


def test_a_request_needing_no_change_is_handed_on_as_it_is():
    request = {"TableName": "t", "Item": {"pk": {"S": "a"}, "l": {"L": [{"N": "1"}]}, "m": {"M": {"x": {"BOOL": True}}}}}
    assert members.checked("PutItem", request) is request


def test_the_wire_door_decodes_base64_and_checks_it():
    assert members.checked("PutItem", {"TableName": "t", "Item": {"b": {"B": "AAE="}}}, from_json=True) == \
        {"TableName": "t", "Item": {"b": {"B": b"\x00\x01"}}}
    with pytest.raises(SerializationException, match="^Base64 encoded value is not valid$"):
        members.checked("PutItem", {"TableName": "t", "Item": {"b": {"B": "!"}}}, from_json=True)


def test_every_operation_has_walkers_for_both_doors():
    assert members.compile_all() == sum(map(len, INPUTS.values()))


def test_the_engine_does_not_load_botocore():
    import subprocess
    import sys
    code = ("import sys, logstore; s = logstore.open(sys.argv[1], durable=False); s.list_tables(); "
            "assert not [m for m in sys.modules if m.startswith('botocore')], 'botocore loaded'")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", code, tmp + "/s"], check=True, timeout=60)
