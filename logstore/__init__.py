"""logstore: a persistent change-log storage engine with DynamoDB Streams semantics, on LMDB.

The public facade::

    import logstore
    with logstore.open("mystore") as store:
        store.create_table(TableName="t", KeySchema=[...], AttributeDefinitions=[...], BillingMode="PAY_PER_REQUEST",
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        store.put_item(TableName="t", Item={"pk": {"S": "a"}})
        arn = store.list_streams(TableName="t")["Streams"][0]["StreamArn"]

``logstore.storage`` is the storage core underneath; ``logstore.errors`` the exception tree. ``open`` and ``Store``
are loaded on first use (the lower layers import without the API layer).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from logstore import errors
from logstore._version import __version__
from logstore.errors import LogstoreError

if TYPE_CHECKING:
    from logstore.api import Store, open

__all__ = ["open", "Store", "errors", "LogstoreError", "__version__"]


def __getattr__(name: str) -> Any:
    """``open`` and ``Store`` load the API layer on first use, so ``import logstore.codec`` (or ``.storage``) does
    not pay for it."""
    if name in ("open", "Store"):
        from logstore import api
        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'logstore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"open", "Store"})
