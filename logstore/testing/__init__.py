"""In-process testing with logstore: ``mock()`` answers every botocore DynamoDB and DynamoDB Streams client in the
process from embedded stores (no server, no port), with a clock tests can move; the pytest plugin
(``pytest_plugin.py``, registered by the ``pytest11`` entry point) offers it as the ``logstore_mock`` fixture and a
real ``logstore serve`` process as ``logstore_server``. See docs/testing.md.

``inprocess.py`` the mock and its handle; ``interceptor.py`` botocore's ``before-send`` hook and the stack of active
mocks; ``lineage.py`` reading a table's stream in order; ``server.py`` the live server for ``logstore_server``.
Needs botocore at run time (the ``[testing]`` extra).
"""
from typing import Any

from logstore.clock import FakeClock, OffsetClock

try:
    from .inprocess import Mock, current, mock
except ModuleNotFoundError as exc:
    # logstore installed without the [testing] extra: the package still imports (its pytest plugin, which every
    # pytest run in the environment loads, must not break the run); the mock's names say what to install
    from logstore.extras import missing_extra
    _MISSING = missing_extra(exc, "testing")
    if _MISSING is None:
        raise

    def __getattr__(name: str) -> Any:
        if name in ("Mock", "current", "mock"):
            raise ModuleNotFoundError(_MISSING, name="botocore")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["mock", "Mock", "current", "FakeClock", "OffsetClock"]
