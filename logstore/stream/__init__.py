"""The stream layer: change records, sequence numbers and identifiers, streams and their shards (lineage,
rollover, splits, retention), iterator tokens, and reading. Built on logstore.storage; used by logstore.tables
and logstore.api."""
from .catalog import DISABLED, ENABLED, VIEW_TYPES, ShardInfo, StreamCatalog, StreamInfo, StreamPolicy
from .engine import (AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, LATEST, TRIM_HORIZON, MaintenanceReport,
                     StreamEngine)
from .records import ChangeRecord, EventKind

__all__ = ["StreamEngine", "StreamCatalog", "StreamPolicy", "StreamInfo", "ShardInfo", "ChangeRecord", "EventKind",
           "MaintenanceReport", "ENABLED", "DISABLED", "VIEW_TYPES", "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
           "AFTER_SEQUENCE_NUMBER"]
