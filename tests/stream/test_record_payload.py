"""stream/records.py, the one writer and reader of the change-record payload: what ``encode`` writes, ``decode``
and ``decode_fields`` read back unchanged, for every kind and image combination."""
from __future__ import annotations

import pytest

from logstore.stream import records
from logstore.stream.records import ChangeRecord, EventKind

KEYS = {"pk": {"S": "a"}, "sk": {"N": "1"}}
NEW = {**KEYS, "b": {"B": b"\x00\xff"}, "l": {"L": [{"NULL": True}, {"SS": ["x", "y"]}]}}
OLD = {**KEYS, "m": {"M": {"n": {"BOOL": False}}}}


@pytest.mark.parametrize("rec", [
    ChangeRecord(EventKind.INSERT, 40, KEYS, NEW, None),
    ChangeRecord(EventKind.MODIFY, 80, KEYS, NEW, OLD),
    ChangeRecord(EventKind.REMOVE, 30, KEYS, None, OLD, by_service=True),
    ChangeRecord(EventKind.MODIFY, 10, KEYS, None, None),     # KEYS_ONLY
])
def test_a_record_reads_back_as_written(rec):
    payload = records.encode(rec)
    assert records.decode(payload) == rec
    kind, size, keys, new, old, flags = records.decode_fields(payload)
    assert (EventKind(kind), size, keys, new, old, bool(flags & records.BY_SERVICE)) == \
        (rec.kind, rec.size_bytes, rec.keys, rec.new_image, rec.old_image, rec.by_service)


def test_binary_stays_bytes_and_text_stays_text():
    rec = records.decode(records.encode(ChangeRecord(EventKind.INSERT, 1, KEYS, NEW, None)))
    assert rec.new_image["b"]["B"] == b"\x00\xff" and isinstance(rec.new_image["pk"]["S"], str)
