"""logstore: a persistent change-log storage engine with DynamoDB Streams semantics, on LMDB.

The public facade::

    import logstore
    with logstore.open("mystore") as store:
        store.create_table(TableName="t", KeySchema=[...], AttributeDefinitions=[...], BillingMode="PAY_PER_REQUEST",
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        store.put_item(TableName="t", Item={"pk": {"S": "a"}})
        arn = store.list_streams(TableName="t")["Streams"][0]["StreamArn"]

``logstore.storage`` is the storage core underneath; ``logstore.errors`` the exception tree.
"""
from logstore import errors
from logstore.api import Store, open
from logstore.errors import LogstoreError

__version__ = "0.1.0"
__all__ = ["open", "Store", "errors", "LogstoreError", "__version__"]
