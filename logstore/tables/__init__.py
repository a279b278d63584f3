"""The tables layer: table catalogue, items, AttributeValue rules, images per view type, the write path (one
transaction per change: item + stream record), TTL. Built on logstore.stream and logstore.storage."""
from .engine import TableEngine

__all__ = ["TableEngine"]
