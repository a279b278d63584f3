"""The whole codec suite runs under both implementations: the C core and its pure-Python twin."""
from __future__ import annotations

import pytest

from logstore.codec import _pure

try:
    from logstore.codec import _native
except ImportError:  # pragma: no cover - the package is always built in CI
    _native = None

IMPLS = [pytest.param(_pure, id="pure"),
         pytest.param(_native, id="c", marks=pytest.mark.skipif(_native is None, reason="C core not built"))]


@pytest.fixture(params=IMPLS)
def impl(request):
    return request.param
