"""logstore: a persistent change-log storage engine with DynamoDB Streams semantics, on LMDB.

The public facade. For now it exposes the storage core (``logstore.storage``) and the error tree; the tables and
streams engine (``logstore.open``) builds on it.
"""
from logstore import errors
from logstore.errors import LogstoreError

__version__ = "0.1.0"
__all__ = ["errors", "LogstoreError", "__version__"]
