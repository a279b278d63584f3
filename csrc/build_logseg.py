"""cffi builder for logstore's C core (API mode, out of line). setup.py names it in cffi_modules; it compiles
csrc/*.c into the extension module ``logstore._logseg`` at install time. Nothing is compiled at import time."""
import pathlib

from cffi import FFI

HERE = pathlib.Path(__file__).resolve().parent

# cffi's API-mode wrapper releases the GIL around every call (Py_BEGIN/END_ALLOW_THREADS) and this preamble comes
# before the wrappers in the generated source, so redefining the two macros there keeps the GIL for our calls.
# Every entry point is a short computation on memory (microseconds; a page of 1,000 records ~0.5 ms), never a
# wait: releasing the GIL gains no parallelism and costs a hand-off to any runnable thread and back (a futex
# call and a wake-up each way), which group-committing writers and the server's committer paid several times
# per write (docs/codec.md, "The GIL"). Nothing here calls back into Python.
KEEP_GIL = """
#undef Py_BEGIN_ALLOW_THREADS
#undef Py_END_ALLOW_THREADS
#define Py_BEGIN_ALLOW_THREADS {
#define Py_END_ALLOW_THREADS }
"""

ffibuilder = FFI()
ffibuilder.cdef((HERE / "logseg_cdef.h").read_text())
ffibuilder.set_source(
    "logstore._logseg",
    '#include "logseg.h"\n' + KEEP_GIL,
    sources=["csrc/logseg.c", "csrc/crc32c.c", "csrc/item.c",
             "csrc/record.c"],   # record.c: fastdrain (issue 13)
    include_dirs=["csrc"],
    extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
