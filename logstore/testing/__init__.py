"""In-process testing with logstore: ``mock()`` answers every botocore DynamoDB and DynamoDB Streams client in the
process from embedded stores (no server, no port), with a clock tests can move; the pytest plugin
(``pytest_plugin.py``, registered by the ``pytest11`` entry point) offers it as the ``logstore_mock`` fixture and a
real ``logstore serve`` process as ``logstore_server``. See docs/testing.md.

``inprocess.py`` the mock and its handle; ``interceptor.py`` botocore's ``before-send`` hook and the stack of active
mocks; ``lineage.py`` reading a table's stream in order; ``server.py`` the live server for ``logstore_server``.
Needs botocore at run time (the ``[testing]`` extra).
"""
from logstore.clock import FakeClock, OffsetClock

from .inprocess import Mock, current, mock

__all__ = ["mock", "Mock", "current", "FakeClock", "OffsetClock"]
