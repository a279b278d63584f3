"""The compiled module exports what csrc/logseg_cdef.h declares, its constants equal the Python ones, and the
facade picks the implementation the environment asks for."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

from logstore.codec import format as fmt

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_declared_function_is_exported():
    lib = pytest.importorskip("logstore._logseg").lib
    declared = re.findall(r"\b(ls[gri]_\w+)\s*\(", (ROOT / "csrc" / "logseg_cdef.h").read_text())
    assert declared, "no declarations found"
    for name in declared:
        assert callable(getattr(lib, name)), name


def test_constants_match():
    lib = pytest.importorskip("logstore._logseg").lib
    for name in ("VERSION", "HEADER_SIZE", "RECORD_HEADER_SIZE", "INDEX_ENTRY_SIZE", "TRAILER_SIZE"):
        assert getattr(lib, "LSG_" + name) == getattr(fmt, name), name
    for name in ("OK", "E_ARG", "E_SPACE", "E_TRUNCATED", "E_MAGIC", "E_VERSION", "E_HEADER_CRC", "E_CRC",
                 "E_FRAME", "E_ORDER", "E_INDEX", "E_TOO_LARGE"):
        assert getattr(lib, "LSG_" + name) == getattr(fmt, name), name
    # record.c (csrc/logseg.h, its section)
    for c_name, py_name in (("OK", "OK"), ("E_ARG", "E_ARG"), ("E_SPACE", "E_SPACE"), ("E_FORMAT", "E_FORMAT"),
                            ("SHARED_KEYS", "FIELDS_SHARED_KEYS"), ("NO_BINARY", "FIELDS_NO_BINARY"),
                            ("MAX_DEPTH", "MAX_DEPTH"), ("EVENT_ID_LEN", "EVENT_ID_LEN")):
        assert getattr(lib, "LSR_" + c_name) == getattr(fmt, py_name), c_name
    # item.c (csrc/logseg.h, its section)
    assert (lib.LSI_OK, lib.LSI_FALLBACK, lib.LSI_KEY_CAP) == (fmt.OK, fmt.ITEM_FALLBACK, fmt.KEY_CAP)
    from logstore.tables import keycodec
    assert lib.LSI_INLINE == fmt.INLINE == keycodec.INLINE   # put_batch's longest LMDB key: the inline form's


def test_cdef_and_header_declare_the_same_functions():
    header = set(re.findall(r"\b(ls[gri]_\w+)\s*\(", (ROOT / "csrc" / "logseg.h").read_text()))
    cdef = set(re.findall(r"\b(ls[gri]_\w+)\s*\(", (ROOT / "csrc" / "logseg_cdef.h").read_text()))
    assert header == cdef


@pytest.mark.parametrize("env,expected", [({"LOGSTORE_PURE": "1"}, "pure"), ({"LOGSTORE_PURE": ""}, "c")])
def test_facade_selects_implementation(env, expected, tmp_path):
    # run outside the source tree: from an unpacked sdist (no compiled module in it) ``-c`` would import the tree
    out = subprocess.run([sys.executable, "-c", "import logstore.codec as c; print(c.IMPLEMENTATION)"],
                         env={**os.environ, **env}, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == expected


def test_only_one_module_imports_the_extension():
    importers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "logstore").rglob("*.py")
                 if re.search(r"^\s*(from|import)\s+logstore\._logseg|from logstore import _logseg",
                              p.read_text(), re.M)]
    assert importers == ["logstore/codec/_native.py"]
