"""cffi builder for logstore's C core (API mode, out of line). setup.py names it in cffi_modules; it compiles
csrc/*.c into the extension module ``logstore._logseg`` at install time. Nothing is compiled at import time."""
import pathlib

from cffi import FFI

HERE = pathlib.Path(__file__).resolve().parent

ffibuilder = FFI()
ffibuilder.cdef((HERE / "logseg_cdef.h").read_text())
ffibuilder.set_source(
    "logstore._logseg",
    '#include "logseg.h"',
    sources=["csrc/logseg.c", "csrc/crc32c.c", "csrc/item.c",
             "csrc/record.c"],   # record.c: fastdrain (issue 13)
    include_dirs=["csrc"],
    extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
