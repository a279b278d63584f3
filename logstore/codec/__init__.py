"""The segment codec, and the renderer of change-record payloads for readers: one facade over the C core
(``_native``) and its pure-Python twin (``_pure``).

``LOGSTORE_PURE=1`` in the environment forces the twin; otherwise the C core is used, and the twin only if the
extension is not built (``IMPLEMENTATION`` says which one is live). Everything here is a pure function over bytes:
no LMDB, no clock, no logging. Callers: logstore.storage (segments), logstore.stream (records). The formats are
docs/format.md.
"""
from __future__ import annotations

import os

from .format import (HEADER_SIZE, INDEX_ENTRY_SIZE, MAX_SEGMENT_SIZE, RECORD_HEADER_SIZE, RECORDS_KEYS, RECORDS_NEW,
                     RECORDS_NONE, TRAILER_SIZE, VERSION, BatchPuts, ItemParts, SegmentHeader, SegmentRead,
                     encoded_size)

if os.environ.get("LOGSTORE_PURE", "") not in ("", "0"):
    from . import _pure as _impl
else:
    try:
        from . import _native as _impl  # type: ignore[no-redef]  # the C core and its twin: one interface
    except ImportError:  # extension not built (e.g. a source checkout without `pip install -e .`)
        from . import _pure as _impl

IMPLEMENTATION: str = _impl.IMPLEMENTATION
crc32c = _impl.crc32c
encode = _impl.encode
extend = _impl.extend
read_header = _impl.read_header
validate = _impl.validate
locate = _impl.locate
read = _impl.read
PageReader = _impl.PageReader   # read over a run of segments into one page (storage/segment_log.py)
decode = _impl.decode
put_item = _impl.put_item   # the per-item write path (csrc/item.c): tables/items.py calls it
put_checker = _impl.put_checker   # whether put_item takes an item (the batch's validation)
put_batch = _impl.put_batch   # a batch's puts of new items (csrc/item.c): tables/items.py calls it
# change-record payloads rendered for readers (csrc/record.c): stream/records.py and stream/ids.py call these
event_ids = _impl.event_ids
fields_json = _impl.fields_json
records_json = _impl.records_json

__all__ = ["IMPLEMENTATION", "crc32c", "encode", "extend", "read_header", "validate", "locate", "read", "PageReader",
           "decode",
           "put_item", "put_checker", "put_batch", "BatchPuts", "ItemParts", "event_ids", "fields_json", "records_json",
           "encoded_size", "SegmentHeader", "SegmentRead", "VERSION", "HEADER_SIZE", "RECORD_HEADER_SIZE",
           "INDEX_ENTRY_SIZE", "TRAILER_SIZE", "MAX_SEGMENT_SIZE", "RECORDS_NONE", "RECORDS_KEYS", "RECORDS_NEW"]
