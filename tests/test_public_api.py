"""The public surface, pinned: what a user may import from each facade (``logstore``, ``logstore.api``,
``logstore.processors``, ``logstore.testing``) is listed here, so adding or removing a public name is a deliberate
change to this file and to the docs, never an accident of an import. Every listed name resolves and is documented,
and ``Store`` answers operations with real methods (no ``__getattr__`` dispatch)."""
from __future__ import annotations

import importlib
import inspect

import pytest

PUBLIC = {
    "logstore": {"open", "Store", "errors", "LogstoreError", "__version__"},
    "logstore.api": {"Store", "Batch", "open", "StreamPolicy"},
    "logstore.processors": {"Backoff", "Checkpoint", "Checkpoints", "Context", "LATEST", "LeaseSettings", "Processor",
                            "ProcessorConfig", "Retrier", "ShardStats", "TRIM_HORIZON", "TransactionalBatch",
                            "compile_filters", "compile_pattern", "load_handler"},
    "logstore.testing": {"mock", "Mock", "current", "FakeClock", "OffsetClock"},
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_the_facade_exports_exactly_its_public_names(module):
    mod = importlib.import_module(module)
    assert set(mod.__all__) == PUBLIC[module]
    for name in mod.__all__:
        value = getattr(mod, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module}.{name} has no docstring"


def test_the_version_is_the_installed_distributions():
    from importlib.metadata import version

    import logstore
    assert logstore.__version__ == version("logstore")


def test_store_operations_are_methods_not_dynamic_dispatch():
    from logstore.api import Store
    from logstore.api.operations import ROUTES
    assert not any("__getattr__" in vars(cls) for cls in Store.__mro__ if cls is not object)
    for routes in ROUTES.values():
        for name in routes.values():
            method = inspect.getattr_static(Store, name)
            assert inspect.isfunction(method) and inspect.getdoc(method), name


def test_the_package_is_typed():
    from pathlib import Path

    import logstore
    assert (Path(logstore.__file__).parent / "py.typed").is_file()
