"""DynamoDB's expression languages over items: parse (cached) -> bind one request's names and values -> evaluate.

Modules, in the order data flows: ``parser`` (grammar, syntax errors), ``nodes`` (the tree), ``binding`` (names,
values, their checks), then the evaluators ``conditions``, ``updates``, ``projection``, ``keycond`` (a Query's key
condition), and ``legacy`` (Expected, KeyConditions, QueryFilter/ScanFilter as trees). ``unparse`` renders trees
back to text. docs/expressions.md is the reference.
"""
from . import conditions, keycond, legacy, nodes, parser, paths, projection, updates
from .binding import Binder

__all__ = ["Binder", "conditions", "keycond", "legacy", "nodes", "parser", "paths", "projection", "updates"]
