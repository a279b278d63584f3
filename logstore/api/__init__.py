"""The AWS border: request validation in AWS's words, wire shapes, the Streams and table services, and the
embedded ``Store``. PascalCase AWS names live here and in logstore.server, nowhere below."""
from logstore.stream import StreamPolicy

from .store import Store, open
from .write_batch import Batch

__all__ = ["Store", "Batch", "open", "StreamPolicy"]
