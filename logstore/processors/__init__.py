"""Stream processors: a Python handler run over a table's stream with the semantics of Lambda's DynamoDB event
source mapping (batches, windows, filters, retries, bisection, partial batch failures, on-failure destinations,
parallelization), checkpointed durably in a store. Embedded (threads over an open ``Store``) or remote (a boto3
``dynamodbstreams`` client against ``logstore serve`` or AWS); several instances share a stream through a lease
table (``leases=LeaseSettings(...)``). See docs/processors.md.

    from logstore.processors import Processor, ProcessorConfig
    with Processor.embedded(store, "orders", handler, ProcessorConfig(batch_size=500)) as proc:
        ...                      # runs on its own threads until stop() / the end of the with block

The layer sits above ``api`` and beside ``server`` and ``cli`` (tests/test_layering.py).
"""
from .checkpoints import Checkpoint, Checkpoints
from .config import LATEST, TRIM_HORIZON, ProcessorConfig
from .context import Context, TransactionalBatch
from .filters import compile_filters, compile_pattern
from .leases import LeaseSettings
from .processor import Processor, ShardStats, load_handler
from .retry import Backoff, Retrier

__all__ = ["Backoff", "Checkpoint", "Checkpoints", "Context", "LATEST", "LeaseSettings", "Processor",
           "ProcessorConfig", "Retrier", "ShardStats", "TRIM_HORIZON", "TransactionalBatch", "compile_filters",
           "compile_pattern", "load_handler"]
