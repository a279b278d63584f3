"""Query and Scan, with AWS's parameters, validation and paging: KeyConditionExpression (or KeyConditions),
FilterExpression (or QueryFilter / ScanFilter), ProjectionExpression (or AttributesToGet), Select, Limit,
ExclusiveStartKey / LastEvaluatedKey, ScanIndexForward, IndexName, Segment / TotalSegments.

The reading itself is the tables layer's (reads.py); this module turns members into its arguments and pages into
responses. Thread-safety: stateless between calls.
"""
from __future__ import annotations

from logstore.errors import ConstraintViolations, ResourceNotFoundException, ValidationException
from logstore.tables import TableEngine, attrs
from logstore.tables.expr import conditions, keycond, projection
from logstore.tables.reads import Index, Reader, key_in_segment

from .capacity import MODES as CAPACITY_MODES
from .capacity import Consumed
from .expressions import RequestExpressions, condition_paths
from .validation import Checks, table_name

SELECTS = ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"]  # in AWS's message order
BAD_START_KEY = "The provided starting key is invalid"
KEY_MISMATCH = "The provided key element does not match the schema"
QUERY_MEMBERS = (("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
                 ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"),
                 ("FilterExpression", "KeyConditionExpression"))
SCAN_MEMBERS = (("ProjectionExpression", "FilterExpression"), ("AttributesToGet", "ScanFilter", "ConditionalOperator"),
                ("FilterExpression",))


class ReadsService:
    def __init__(self, tables: TableEngine):
        self.tables = tables
        self.reader = Reader(tables.items, tables.entries)

    # -- shared ----------------------------------------------------------------------------------------------------

    def _checks(self, request: dict, extra=None) -> tuple[Checks, str]:
        checks = Checks(request)
        name = table_name(checks)
        checks.string("IndexName", min_len=3, max_len=255, pattern="[a-zA-Z0-9_.-]+")
        checks.string("Select", enum=SELECTS)
        checks.integer("Limit", min_value=1)
        checks.string("ConditionalOperator", enum=["AND", "OR"])
        checks.string("ReturnConsumedCapacity", enum=CAPACITY_MODES)
        if extra is not None:
            extra(checks)
        checks.done()
        return checks, name

    def _index(self, tdef, request: dict) -> Index | None:
        name = request.get("IndexName")
        if name is None:
            return None
        index = tdef.index(name)
        if index is None:
            raise ValidationException(f"The table does not have the specified index: {name}")
        if index.is_global and request.get("ConsistentRead"):
            raise ValidationException("Consistent reads are not supported on global secondary indexes")
        if index.status != "ACTIVE":
            raise ValidationException(f"Cannot read from backfilling global secondary index: {name}")
        return index

    @staticmethod
    def _check_projected(tdef, index: Index | None, wanted) -> None:
        """A global index holds only what it projects: asking it for another attribute is refused (a local index
        reads the rest from the table)."""
        if index is None or not index.is_global or index.projection == "ALL" or wanted is None:
            return
        projected = set(tdef.key_names) | {n for n, _ in index.key_schema} | set(index.non_key)
        for parts in wanted:
            if parts[0] not in projected:
                raise ValidationException(f"One or more parameter values were invalid: Global secondary index "
                                          f"{index.name} does not project the requested attribute {parts[0]} "
                                          f"(its projection type is {index.projection})")

    def _select(self, request: dict, index: Index | None, wanted) -> str:
        select = request.get("Select")
        if select is None:
            return "SPECIFIC_ATTRIBUTES" if wanted is not None else \
                "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
        if select == "SPECIFIC_ATTRIBUTES" and wanted is None:
            raise ConstraintViolations("Must specify the AttributesToGet or ProjectionExpression when "
                                      "choosing to get SPECIFIC_ATTRIBUTES")
        if select != "SPECIFIC_ATTRIBUTES" and wanted is not None:
            member = "ProjectionExpression" if request.get("ProjectionExpression") is not None else "AttributesToGet"
            what = "only the Count" if select == "COUNT" else select
            raise ConstraintViolations(f"Cannot specify the {member} when choosing to get {what}")
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise ValidationException("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        if select == "ALL_ATTRIBUTES" and index is not None and index.is_global and index.projection != "ALL":
            raise ValidationException(f"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is "
                                      f"not supported for global secondary index {index.name} because its "
                                      "projection type is not ALL")
        return select

    def _start_key(self, tdef, index: Index | None, request: dict) -> dict | None:
        raw = request.get("ExclusiveStartKey")
        if raw is None:
            return None
        try:
            key = attrs.canonical_item(raw)
        except ValidationException as e:
            raise ValidationException(f"The provided starting key is invalid: {e.message}") from None
        schema = list(tdef.key_schema) + (list(index.key_schema) if index else [])
        wanted = dict(schema)
        if set(key) != set(wanted):
            raise ValidationException(BAD_START_KEY)
        if any(wanted[n] not in key[n] for n in wanted):
            raise ValidationException(KEY_MISMATCH)
        return key

    def _respond(self, tdef, index, page, select: str, wanted, request: dict) -> dict:
        consumed = Consumed(request.get("ReturnConsumedCapacity"))
        consumed.page(tdef.name, page.read_bytes, request.get("ConsistentRead") is True, index)
        out = {"Count": len(page.items), "ScannedCount": page.scanned}
        if select != "COUNT":
            items = page.items
            if index is not None and select == "ALL_PROJECTED_ATTRIBUTES":
                items = [index.project(i, tdef.key_names) for i in items]
            if wanted is not None:
                items = [projection.project(wanted, i) for i in items]
            out["Items"] = items
        if page.last_key is not None:
            out["LastEvaluatedKey"] = page.last_key
        return consumed.one(out, tdef.name, request["TableName"])

    @staticmethod
    def _sized(request: dict) -> bool:
        """Whether the page must measure what it reads: only the ConsumedCapacity asked for needs the total."""
        return Consumed(request.get("ReturnConsumedCapacity")).wanted

    @staticmethod
    def _fetch(tdef, index: Index | None, select: str, wanted, condition) -> bool:
        """Whether a read of a local index needs the table's items: only when the request asks for (or filters
        on) an attribute the index does not project, as DynamoDB fetches those from the table."""
        if index is None or index.is_global or index.projection == "ALL":
            return False
        if select == "ALL_ATTRIBUTES":
            return True
        projected = set(tdef.key_names) | {n for n, _ in index.key_schema} | set(index.non_key)
        paths = list(wanted or ()) + (condition_paths(condition) if condition is not None else [])
        return any(parts[0] not in projected for parts in paths)

    @staticmethod
    def _filter(condition):
        return None if condition is None else (lambda item: conditions.evaluate(condition, item))

    # -- operations ------------------------------------------------------------------------------------------------

    def query(self, request: dict) -> dict:
        limit = request.get("Limit")
        if isinstance(limit, int) and not isinstance(limit, bool) and limit < 1:
            raise ConstraintViolations("Value at 'Limit' failed to satisfy constraint: Member must have "
                                      "value greater than or equal to 1")  # Query's wording differs from Scan's

        _, name = self._checks(request)
        tdef = self.tables.get(name, item_level=True)
        index = self._index(tdef, request)
        expression_members, legacy_members, value_members = QUERY_MEMBERS
        if request.get("KeyConditionExpression") is None:   # KeyConditions mixes with the other expressions
            legacy_members = tuple(m for m in legacy_members if m != "KeyConditions")
        exprs = RequestExpressions(request, expression_members, legacy_members, value_members)
        key_tree = exprs.condition("KeyConditionExpression")
        if key_tree is None:
            raise ValidationException("Either the KeyConditions or KeyConditionExpression parameter must be "
                                      "specified in the request.")
        schema = index.key_schema if index is not None else tdef.key_schema
        cond = keycond.split(key_tree, schema)
        filt = exprs.condition("FilterExpression")
        if filt is not None:
            keys = {n for n, _ in schema}
            what = "Filter Expression" if request.get("FilterExpression") is not None else "QueryFilter"
            for parts in condition_paths(filt):
                if parts[0] in keys:
                    raise ValidationException(f"{what} can only contain non-primary key attributes: Primary key "
                                              f"attribute: {parts[0]}")
        wanted = exprs.projection()
        exprs.done()
        select = self._select(request, index, wanted)
        self._check_projected(tdef, index, wanted)
        start = self._start_key(tdef, index, request)
        if start is not None:
            hash_matches = conditions.equal(start[schema[0][0]], cond.hash_value)
            if index is None and len(tdef.key_schema) == 1 and not hash_matches:
                # a hash-only table's query fixes its one item; an index's keys are not unique (restartable)
                raise ValidationException("The query can return at most one row and cannot be restarted")
            if not hash_matches:
                raise ValidationException("The provided starting key is outside query boundaries based on provided "
                                          "conditions")
            if cond.range_condition is not None and not conditions.evaluate(cond.range_condition, start):
                raise ValidationException("The provided starting key does not match the range key predicate")
        with self.tables.env.begin_read() as txn:
            if self.tables.catalog.get(txn, tdef.name) is None:
                raise ResourceNotFoundException("Requested resource not found")
            page = self.reader.query(txn, tdef, cond, index=index, forward=request.get("ScanIndexForward", True),
                                     start_key=start, limit=request.get("Limit"), keep=self._filter(filt),
                                     fetch=self._fetch(tdef, index, select, wanted, filt),
                                     sized=self._sized(request))
        return self._respond(tdef, index, page, select, wanted, request)

    def scan(self, request: dict) -> dict:
        def extra(checks):
            checks.integer("Segment", min_value=0, max_value=999999)
            checks.integer("TotalSegments", min_value=1, max_value=1000000)
        _, name = self._checks(request, extra)
        segment, total = request.get("Segment"), request.get("TotalSegments")
        if segment is not None and total is None:
            raise ValidationException("The TotalSegments parameter is required but was not present in the request "
                                      "when Segment parameter is present")
        if total is not None and segment is None:
            raise ValidationException("The Segment parameter is required but was not present in the request when "
                                      "parameter TotalSegments is present")
        if total is not None and segment >= total:
            raise ValidationException("The Segment parameter is zero-based and must be less than parameter "
                                      f"TotalSegments: Segment: {segment} is not less than TotalSegments: {total}")
        tdef = self.tables.get(name, item_level=True)
        index = self._index(tdef, request)
        exprs = RequestExpressions(request, *SCAN_MEMBERS)
        filt = exprs.condition("FilterExpression")
        wanted = exprs.projection()
        exprs.done()
        select = self._select(request, index, wanted)
        self._check_projected(tdef, index, wanted)
        start = self._start_key(tdef, index, request)
        if start is not None and total is not None and not key_in_segment(tdef, start, segment, total):
            raise ValidationException(f"{BAD_START_KEY}: Invalid ExclusiveStartKey. Please use ExclusiveStartKey "
                                      f"with correct Segment. TotalSegments: {total} Segment: {segment}")
        with self.tables.env.begin_read() as txn:
            if self.tables.catalog.get(txn, tdef.name) is None:
                raise ResourceNotFoundException("Requested resource not found")
            page = self.reader.scan(txn, tdef, index=index, start_key=start, limit=request.get("Limit"),
                                    keep=self._filter(filt), segment=segment or 0, total_segments=total or 1,
                                    fetch=self._fetch(tdef, index, select, wanted, filt),
                                    sized=self._sized(request))
        return self._respond(tdef, index, page, select, wanted, request)
