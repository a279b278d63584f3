"""The DynamoDB table operations a streams backend's users need, with AWS's validation and errors: CreateTable
(with secondary index definitions), DescribeTable, ListTables, UpdateTable, DeleteTable, UpdateTimeToLive,
DescribeTimeToLive. Item operations live in items_api.py (batches in batch_api.py, transactions in
transact_api.py), Query and Scan in reads_api.py.

Thread-safety: stateless between calls.
"""
from __future__ import annotations

from dataclasses import dataclass

from logstore.errors import (ConstraintViolations, LimitExceededException, ResourceNotFoundException,
                             ValidationException)
from logstore.stream import ids
from logstore.tables import TableEngine
from logstore.tables.catalog import (ACCOUNT_MAX_CAPACITY, MAX_GSI, MAX_LSI, ON_DEMAND_MEMBERS, TABLE_CLASSES,
                                     TABLE_MAX_CAPACITY, WARM_MEMBERS, warm_floor)
from logstore.tables.engine import INDEX_EXISTS, ONE_INDEX_AT_A_TIME, index_not_found

from . import render
from .tags_api import validated_tags
from .validation import Checks, table_name

KEY_TYPES = ("B", "N", "S")   # in the order AWS's enum message lists them (live, 2026-10)
BILLING_MODES = ("PROVISIONED", "PAY_PER_REQUEST")
# Members for features logstore does not have (global tables): checked as AWS checks them, then ignored
# (docs/streams-compat.md, "Table members accepted and ignored").
REPLICATION_MODES = ("ENABLED", "DISABLED", "ENABLED_WITH_OVERRIDES")
CONSISTENCY_MODES = ("EVENTUAL", "STRONG")

# UpdateTable's members that ask for a change (GlobalSecondaryIndexUpdates when not empty), and what AWS answers a
# request with none of them: its list names members of its own that the public model does not have.
# MultiRegionConsistency alone asks for nothing (it goes with ReplicaUpdates); AWS then leaves it out of the list.
UPDATES = ("ProvisionedThroughput", "BillingMode", "StreamSpecification", "GlobalSecondaryIndexUpdates",
           "SSESpecification", "ReplicaUpdates", "DeletionProtectionEnabled", "OnDemandThroughput",
           "WarmThroughput", "TableClass", "GlobalTableWitnessUpdates", "VectorIndexUpdates")
NOTHING_TO_UPDATE = ("ProvisionedThroughput", "BillingMode", "UpdateStreamEnabled", "GlobalSecondaryIndexUpdates",
                     "SSESpecification", "ReplicaUpdates", "MultiAccountReplicaReady", "ReplicaTransitRoleArn",
                     "MultiRegionConsistency", "DeletionProtectionEnabled", "OnDemandThroughput", "WarmThroughput",
                     "TableClass")
# the changes AWS takes only alone, in the order it judges them (then OnDemandThroughput, which takes BillingMode
# beside it, then WarmThroughput, alone too: ``_one_kind_of_update``)
ALONE = (("SSESpecification", "Server-Side Encryption"), ("TableClass", "TableClass"),
         ("DeletionProtectionEnabled", "DeletionProtection"))


INVALID = "One or more parameter values were invalid: "
# StreamViewType's values in the order AWS's enum message lists them (live, 2026-10), not the model's
VIEW_TYPES_AS_LISTED = ["OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"]

MAX_PROJECTED = 100                 # NonKeyAttributes summed over a table's indexes
MAX_KEY_NAME = 255                  # key and projected attribute names (other attribute names: 64 KB)
# DeleteTable answers with a reduced TableDescription: no key schema, attribute definitions, creation time or
# indexes (as AWS's DeleteTable does)
DELETE_TABLE_MEMBERS = frozenset({"TableName", "TableStatus", "ProvisionedThroughput", "TableSizeBytes", "ItemCount",
                                  "TableArn", "TableId", "BillingModeSummary", "StreamSpecification",
                                  "LatestStreamLabel", "LatestStreamArn"})


def _table_class(request: dict) -> str | None:
    """CreateTable's or UpdateTable's TableClass: AWS answers a value outside the set in words of its own, not
    with the model's enum check."""
    value = request.get("TableClass")
    if value is not None and value not in TABLE_CLASSES:
        raise ValidationException("Invalid table-class parameter provided. Please try again with a valid "
                                  f"table-class value: [{', '.join(TABLE_CLASSES)}].")
    return value


def _one_kind_of_update(request: dict) -> None:
    """What UpdateTable refuses of a request's shape before it looks for the table: no change asked for, and
    changes AWS takes only alone or not together."""
    given = [m for m in UPDATES
             if (request.get(m) if m == "GlobalSecondaryIndexUpdates" else request.get(m) is not None)]
    if not given:
        named = [m for m in NOTHING_TO_UPDATE if m != "MultiRegionConsistency" or request.get(m) is None]
        raise ValidationException(f"At least one of {', '.join(named[:-1])} or {named[-1]} is required")
    if request.get("GlobalSecondaryIndexUpdates") == []:
        raise ValidationException(INVALID + "List of GlobalSecondaryIndexUpdates is empty")
    # an empty WarmThroughput asks for nothing: AWS takes it beside any other change and ignores it
    combined = [m for m in given if m != "WarmThroughput" or request[m]]
    if len(combined) > 1:
        for member, what in ALONE:
            if member in combined:
                raise ValidationException(INVALID + f"{what} modification must be the only operation in the request")
        if "OnDemandThroughput" in combined and any(m not in ("OnDemandThroughput", "BillingMode") for m in combined):
            raise ValidationException(INVALID + "OnDemandThroughput can only be combined with BillingMode in an "
                                      "UpdateTable request")
        if "WarmThroughput" in combined:
            creates = any(isinstance(u, dict) and u.get("Create") is not None
                          for u in request.get("GlobalSecondaryIndexUpdates") or ())
            raise ValidationException(INVALID + ("Create global secondary index cannot be specified when updating "
                                                 "WarmThroughput" if creates else
                                                 "WarmThroughput must be the only operation in the request"))
    for u in request.get("GlobalSecondaryIndexUpdates") or ():
        update = u.get("Update") if isinstance(u, dict) else None
        if isinstance(update, dict) and update.get("WarmThroughput") == {}:
            raise ValidationException(INVALID + "WarmThroughput must have at least one of ReadUnitsPerSecond or "
                                      f"WriteUnitsPerSecond specified for index: {update.get('IndexName')}")
    if request.get("GlobalTableSettingsReplicationMode") == "ENABLED_WITH_OVERRIDES":   # not for a regional table
        raise ValidationException("Value 'ENABLED_WITH_OVERRIDES' at 'GlobalTableSettingsReplicationMode' failed to "
                                  "satisfy constraint: Only ENABLED and DISABLED settings replication are supported "
                                  "for a Regional Table.")
    index_change = any(u.get("Create") is not None or u.get("Delete") is not None
                       for u in request.get("GlobalSecondaryIndexUpdates") or () if isinstance(u, dict))
    throughput, stream = request.get("ProvisionedThroughput") is not None, "StreamSpecification" in given
    if stream and (throughput or request.get("BillingMode") == "PROVISIONED"):   # AWS: DDB-TABLE-433
        raise ValidationException(INVALID + "You cannot modify stream status while updating table IOPS")
    if index_change and throughput:
        raise ValidationException(INVALID + "You cannot create or delete index while updating table IOPS")
    if index_change and stream:
        raise ValidationException(INVALID + "You cannot create or delete index while changing stream status")


def _sse(request: dict) -> tuple[bool, str | None] | None:
    """CreateTable's or UpdateTable's SSESpecification as (a KMS key asked for, its KMSMasterKeyId as given), or
    None without one; refused as AWS refuses it (its live words, 2026-10). Enabled left out is taken from SSEType,
    as AWS takes it: ``{"SSEType": "KMS"}`` asks for a KMS key, ``{}`` for AWS's own."""
    sse = request.get("SSESpecification")
    if sse is None:
        return None
    sub = Checks(sse, "sSESpecification.")   # AWS's camel case of SSESpecification
    sub.string("KMSMasterKeyId", min_len=1)
    sub.done()
    sse_type, key, enabled = sse.get("SSEType"), sse.get("KMSMasterKeyId"), sse.get("Enabled")
    if enabled is False:
        if sse_type is not None:
            raise ValidationException(INVALID + "SSEType can not be specified if Enabled is false")
        if key is not None:
            raise ValidationException(INVALID + "KMSMasterKeyId can not be specified if Enabled is false")
    elif sse_type == "AES256":
        raise ValidationException(INVALID + "SSEType AES256 is not supported")
    elif key is not None and sse_type != "KMS":
        raise ValidationException(INVALID + "SSEType KMS is required if KMSMasterKeyId is specified")
    return bool(enabled) or sse_type is not None, key


def _capacity(pt: dict, path: str) -> tuple[int, int]:
    """A ProvisionedThroughput's (read, write) capacity, each required and at least 1, refused in AWS's words at
    ``path`` (``provisionedThroughput.``); AWS names WriteCapacityUnits before ReadCapacityUnits (live, 2026-10)."""
    sub = Checks(pt, path)
    wcu = sub.integer("WriteCapacityUnits", required=True, min_value=1)
    rcu = sub.integer("ReadCapacityUnits", required=True, min_value=1)
    sub.done()
    return rcu, wcu


def _capacities(request: dict) -> None:
    """Every ProvisionedThroughput of an UpdateTable (the table's, each GSI Update's and Create's) against the
    model's constraints (``_capacity``), which AWS judges before it looks for the table (live, DDB-TABLE-070)."""
    if request.get("ProvisionedThroughput") is not None:
        _capacity(request["ProvisionedThroughput"], "provisionedThroughput.")
    for i, update in enumerate(request.get("GlobalSecondaryIndexUpdates") or (), 1):
        for action in ("Update", "Create"):
            pt = (update.get(action) or {}).get("ProvisionedThroughput") if isinstance(update, dict) else None
            if pt is not None:
                _capacity(pt, f"globalSecondaryIndexUpdates.{i}.member.{action.lower()}.provisionedThroughput.")


def _maximums(odt: dict | None, mode: str, updating: bool, index: str | None = None) -> dict[str, int] | None:
    """An OnDemandThroughput (a table's, or GSI ``index``'s) as its maximums given, {member: value}, refused as AWS
    refuses it: none on a provisioned table, each maximum at least 1 (UpdateTable's -1 takes one away). None when
    it gives none."""
    out = {}
    for member in ON_DEMAND_MEMBERS:
        value = (odt or {}).get(member)
        if value is None:
            continue
        if mode == "PROVISIONED":
            raise ValidationException(INVALID + (
                f"{member} for OnDemandThroughput for index: {index} cannot be specified when table BillingMode is "
                "PROVISIONED." if index is not None else
                f"{member} for OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED"
                if updating else f"{member} for OnDemandThroughput cannot be specified when table BillingMode is "
                "PROVISIONED."))
        if value < 1 and not (updating and value == -1):
            where = "table" if index is None else f"index : {index}"
            raise ValidationException(INVALID + f"Requested {member} for OnDemandThroughput for {where} is outside "
                                      "of valid range")
        out[member] = value
    return out or None


@dataclass(frozen=True)
class _GsiUpdates:
    """UpdateTable's GlobalSecondaryIndexUpdates, validated: what each asks of the engine."""
    create: dict | None                           # the GSI to create, in its stored form
    delete: str | None                            # the name of the GSI to delete
    definitions: tuple | None                     # the table's attribute definitions with the Create's added
    throughput: dict[str, tuple[int, int]] | None    # {GSI name: its new (read, write) capacity}
    on_demand: dict[str, dict[str, int]] | None      # {GSI name: its OnDemandThroughput maximums given}
    warm: dict[str, dict[str, int]] | None           # {GSI name: its WarmThroughput given}


def _given_warm(warm: dict | None) -> dict[str, int] | None:
    """A WarmThroughput's members given, or None."""
    given = {m: warm[m] for m in WARM_MEMBERS if warm.get(m) is not None} if warm else {}
    return given or None


def _initial_warm(warm: dict | None, billing: str, read: int, write: int, index: str | None = None
                  ) -> dict[str, int] | None:
    """CreateTable's (or a GSI Create's) WarmThroughput: its members given, refused as AWS refuses them when below
    what the table (or ``index``) starts with (catalog.warm_floor). None when none is given."""
    given = _given_warm(warm)
    floor = warm_floor(billing, read, write)
    where = "table" if index is None else f"index {index}"
    for member, value in (given or {}).items():
        if value < floor[member]:
            capacity = "ReadCapacityUnits" if member == "ReadUnitsPerSecond" else "WriteCapacityUnits"
            raise ValidationException(INVALID + f"Requested {member} for WarmThroughput for {where} is lower than "
                                      + ("initial throughput for OnDemand" if billing == "PAY_PER_REQUEST" else
                                         f"{capacity} of ProvisionedThroughput"))
    return given


def _index_throughput(tdef, name: str, update: dict, pt: dict | None, billing: str, path: str = ""
                      ) -> tuple[int, int] | None:
    """A GlobalSecondaryIndexUpdate's Update of GSI ``name``: its new (read, write) capacity, refused as AWS
    refuses it: throughput for an on-demand table's index, an Update of nothing, the capacity it already has.
    None when it changes nothing logstore keeps (OnDemandThroughput or WarmThroughput only)."""
    capacity = _capacity(pt, path + "provisionedThroughput.") if pt is not None else None   # the model's first
    if billing == "PAY_PER_REQUEST":
        if pt is not None or (not update.get("OnDemandThroughput") and not update.get("WarmThroughput")):
            raise ValidationException(INVALID + f"The only Updates for index: {name} when TableThroughputMode is "
                                      "PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput")
        return None
    if pt is None:
        if update.get("OnDemandThroughput") or update.get("WarmThroughput"):
            return None
        raise ValidationException(INVALID + f"ProvisionedThroughput must be specified for index: {name}")
    rcu, wcu = capacity
    current = next(ix.get("ProvisionedThroughput") or {} for ix in tdef.indexes["gsi"] if ix["IndexName"] == name)
    now = (current.get("ReadCapacityUnits"), current.get("WriteCapacityUnits"))
    if tdef.billing_mode == "PROVISIONED" and now == (rcu, wcu):
        raise ValidationException(
            f"The provisioned throughput for the index {name} will not change. The requested value equals the "
            f"current value. Current ReadCapacityUnits provisioned for index {name}: {now[0]}. Requested "
            f"ReadCapacityUnits: {rcu}. Current WriteCapacityUnits provisioned for index {name}: {now[1]}. Requested "
            f"WriteCapacityUnits: {wcu}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to "
            "request higher limits.")
    return rcu, wcu


class TablesService:
    def __init__(self, tables: TableEngine, region: str, account: str):
        self.tables = tables
        self.region = region
        self.account = account

    def _sse_key(self, sse: tuple[bool, str | None]) -> str | None:
        """The KMS key ARN an accepted SSESpecification asks for (``_sse``): None for AWS's own key, else its
        KMSMasterKeyId's ARN or the account's AWS managed key's (docs/streams-compat.md: no KMS is asked)."""
        kms, key = sse
        return ids.kms_key_arn(self.region, self.account, key) if kms else None

    def _describe(self, tdef, status="ACTIVE") -> dict:
        count, size = self.tables.stats(tdef)
        return render.table(tdef, self.region, self.account, self.tables.stream_of(tdef), count, size, status,
                            self.tables.index_stats(tdef), now_ms=self.tables.streams.clock.now_ms())

    @staticmethod
    def _stream_spec(spec, creating: bool = False) -> tuple[bool, str | None] | None:
        """StreamSpecification as (enabled, view type), refused in UpdateTable's words or (``creating``)
        CreateTable's."""
        if spec is None:
            return None
        checks = Checks(spec, "streamSpecification.")
        enabled = checks.get("StreamEnabled", required=True)
        view_type = checks.string("StreamViewType", enum=VIEW_TYPES_AS_LISTED)
        checks.done()
        if enabled and view_type is None:
            raise ValidationException(INVALID + ("Table is being created with a stream enabled, UpdateViewType is "
                                                 "required" if creating else
                                                 "If stream is being enabled then UpdateViewType is required"))
        if not enabled and view_type is not None:
            raise ValidationException(INVALID + ("Table is being created with a stream disabled, UpdateViewType "
                                                 "should not be specified" if creating else
                                                 "If stream is being disabled, then UpdateViewType must not be "
                                                 "specified"))
        return enabled, view_type

    @staticmethod
    def _throughput(checks: Checks, billing: str | None, required: bool) -> tuple[str, int, int]:
        pt = checks.get("ProvisionedThroughput")
        mode = billing or "PROVISIONED"
        capacity = _capacity(pt, "provisionedThroughput.") if pt is not None else None   # the model's first, as AWS
        if mode == "PAY_PER_REQUEST":
            if pt is not None:
                raise ValidationException(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                                          "specified when BillingMode is PAY_PER_REQUEST")
            return mode, 0, 0
        if pt is None:
            if required:
                raise ValidationException(INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified "
                                          "when BillingMode is PROVISIONED")
            return mode, 0, 0
        rcu, wcu = capacity
        return mode, rcu, wcu

    def _within_quotas(self, capacity: tuple[int, int] | None, maximums: dict[str, int] | None,
                       warm: dict[str, int] | None, index: str | None = None) -> None:
        """A table's (or GSI ``index``'s) requested capacity, OnDemandThroughput maximums and WarmThroughput
        against the per-table quota DescribeLimits reports, refused as AWS refuses them (LimitExceededException,
        its live words, 2026-10). Each table and index is judged alone, as AWS judges them; the account's total
        is not kept (docs/streams-compat.md)."""
        cap = TABLE_MAX_CAPACITY
        for unit, value in zip(("ReadCapacityUnits", "WriteCapacityUnits"), capacity or ()):
            if value > cap:
                raise LimitExceededException(
                    (f"The requested {unit}, {value}, is above the per table maximum" if index is None else
                     f"The requested {unit} for index {index}, {value}, is above the per index maximum")
                    + f" for the account in {self.region}. Per table maximum: {cap}. Refer to the Amazon DynamoDB "
                    "Developer Guide for current limits and how to request higher limits.")
        for what, given, where in (("OnDemandThroughput", maximums, "table" if index is None else f"index : {index}"),
                                   ("WarmThroughput", warm, "table" if index is None else f"index {index}")):
            for member, value in (given or {}).items():
                if value > cap:
                    quota = "TableMaxReadCapacityUnits" if "Read" in member else "TableMaxWriteCapacityUnits"
                    raise LimitExceededException(f"Subscriber limit exceeded: Requested {member} for {what} for "
                                                 f"{where} exceeds {quota} of the account in region {self.region}")

    def _indexes_within_quotas(self, gsis: list[dict]) -> None:
        """``_within_quotas`` for each GSI (its stored form, as CreateTable or a GSI Create makes it)."""
        for ix in gsis:
            pt = ix.get("ProvisionedThroughput")
            self._within_quotas((pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) if pt else None,
                                ix.get("OnDemandThroughput"), ix.get("WarmThroughput"), index=ix["IndexName"])

    def describe_limits(self, request: dict) -> dict:
        Checks(request).done()
        return {"AccountMaxReadCapacityUnits": ACCOUNT_MAX_CAPACITY,
                "AccountMaxWriteCapacityUnits": ACCOUNT_MAX_CAPACITY,
                "TableMaxReadCapacityUnits": TABLE_MAX_CAPACITY, "TableMaxWriteCapacityUnits": TABLE_MAX_CAPACITY}

    # -- tables --------------------------------------------------------------------------------------------------

    def create_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks, control_plane=True)
        schema = checks.get("KeySchema", required=True)
        definitions = checks.get("AttributeDefinitions", required=True)
        billing = checks.string("BillingMode", enum=list(BILLING_MODES))
        checks.string("GlobalTableSettingsReplicationMode", enum=list(REPLICATION_MODES))
        checks.done()
        table_class = _table_class(request)
        if not 1 <= len(schema) <= 2:
            raise ConstraintViolations(f"Value '{schema}' at 'keySchema' failed to satisfy constraint: Member must "
                                       "have length less than or equal to 2" if schema else
                                       "Value '[]' at 'keySchema' failed to satisfy constraint: Member must have "
                                       "length greater than or equal to 1")
        types = _attribute_definitions(definitions)
        names = _key_schema(schema, "keySchema.")
        indexes = _indexes(request, types, names, billing or "PROVISIONED")
        _definitions_match(types, names, request)
        mode, rcu, wcu = self._throughput(checks, billing, required=True)
        on_demand = _maximums(request.get("OnDemandThroughput"), mode, updating=False)
        warm = _initial_warm(request.get("WarmThroughput"), mode, rcu, wcu)
        sse = _sse(request)
        spec = self._stream_spec(request.get("StreamSpecification"), creating=True)
        tags = self._tags(request)
        self._within_quotas((rcu, wcu) if mode == "PROVISIONED" else None, on_demand, warm)
        self._indexes_within_quotas(indexes["gsi"])
        tdef = self.tables.create(dict(
            name=name, key_schema=tuple((n, types[n]) for n in names),
            attribute_definitions=tuple(types.items()), billing_mode=mode, read_capacity=rcu,
            write_capacity=wcu, indexes=indexes, tags=tags,
            deletion_protection=bool(request.get("DeletionProtectionEnabled")), table_class=table_class,
            sse_kms_key=None if sse is None else self._sse_key(sse), on_demand_throughput=on_demand,
            warm_throughput=warm),
            spec[1] if spec and spec[0] else None)
        out = self._describe(tdef)
        # AWS's answer leaves out what its next DescribeTable adds (live, DDB-TABLE-033/138): the GSIs' warm
        # throughput, the table's unless the request set it, the time it became on demand
        for desc in out.get("GlobalSecondaryIndexes") or ():
            del desc["WarmThroughput"]
        if warm is None:
            del out["WarmThroughput"]
        out.get("BillingModeSummary", {}).pop("LastUpdateToPayPerRequestDateTime", None)
        return {"TableDescription": out}

    @staticmethod
    def _tags(request: dict) -> dict:
        """CreateTable's Tags, checked as TagResource checks them (none is fine here)."""
        given = request.get("Tags")
        return {} if given is None else validated_tags(given, at_least_one=False)

    def describe_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks, control_plane=True)
        checks.done()
        return {"Table": self._describe(self.tables.get(name))}

    def list_tables(self, request: dict) -> dict:
        checks = Checks(request)
        start = table_name(checks, "ExclusiveStartTableName", required=False, control_plane=True,
                           pattern_first=True)
        limit = checks.integer("Limit", min_value=1, max_value=100) or 100
        checks.done()
        names = self.tables.names(start, limit + 1)
        out = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    def update_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks, control_plane=True)
        billing = checks.string("BillingMode", enum=list(BILLING_MODES))
        checks.string("MultiRegionConsistency", enum=list(CONSISTENCY_MODES))
        checks.string("GlobalTableSettingsReplicationMode", enum=list(REPLICATION_MODES))
        checks.done()
        _attribute_definitions(request.get("AttributeDefinitions") or [])   # each entry's shape, used or not
        table_class = _table_class(request)
        _one_kind_of_update(request)
        sse = _sse(request)
        _capacities(request)   # the model's constraints of every throughput, before the table is looked for
        tdef = before = self.tables.get(name)
        spec = self._stream_spec(request.get("StreamSpecification"))
        changes = {}
        if billing is not None or request.get("ProvisionedThroughput") is not None:
            changes.update(self._throughput_change(tdef, checks, billing))
        on_demand = _maximums(request.get("OnDemandThroughput"), billing or tdef.billing_mode, updating=True)
        if request.get("DeletionProtectionEnabled") is not None:
            changes["deletion_protection"] = bool(request["DeletionProtectionEnabled"])
        if table_class is not None:
            changes["table_class"] = table_class
        if sse is not None:   # the engine refuses AWS's own key, or the ARN of the key, the table already has
            changes["sse_kms_key"] = self._sse_key(sse)
        gsi = self._gsi_updates(tdef, request, billing or tdef.billing_mode)
        warm = _given_warm(request.get("WarmThroughput"))
        asked = changes.get("billing_mode") == "PROVISIONED" and request.get("ProvisionedThroughput") is not None
        self._within_quotas((changes["read_capacity"], changes["write_capacity"]) if asked else None, on_demand, warm)
        self._indexes_within_quotas([gsi.create] if gsi.create is not None else [])
        for index in set(gsi.throughput or {}) | set(gsi.on_demand or {}) | set(gsi.warm or {}):
            self._within_quotas((gsi.throughput or {}).get(index), (gsi.on_demand or {}).get(index),
                                (gsi.warm or {}).get(index), index=index)
        tdef = self.tables.update(name, stream=None if spec is None else spec[0],
                                  view_type=spec[1] if spec else None, changes=changes or None,
                                  create_gsi=gsi.create, delete_gsi=gsi.delete, attribute_definitions=gsi.definitions,
                                  index_throughput=gsi.throughput, on_demand=on_demand, index_on_demand=gsi.on_demand,
                                  warm=warm, index_warm=gsi.warm,
                                  sse_named=None if sse is None else sse[1])
        out = self._describe(tdef)
        # AWS answers a warm throughput change as under way, with the values before it (the new ones follow)
        if warm is not None:
            out["WarmThroughput"] = dict(before.warm, Status="UPDATING")
        self._answer_index_updates(out, before, gsi, switched=tdef.billing_mode != before.billing_mode)
        if on_demand is not None:   # AWS's answer names a maximum taken away as -1 (DescribeTable leaves it out)
            echoed = dict(out.get("OnDemandThroughput") or {}, **{m: -1 for m, v in on_demand.items() if v == -1})
            out["OnDemandThroughput"] = {m: echoed[m] for m in ON_DEMAND_MEMBERS if m in echoed}
        if sse is not None:   # AWS answers an encryption change as under way, with the key being left (live,
            # DDB-TABLE-140): none named when the table had AWS's own key
            out["SSEDescription"] = {"Status": "UPDATING"} if before.sse_kms_key is None else {
                "Status": "UPDATING", "SSEType": "KMS", "KMSMasterKeyArn": before.sse_kms_key}
        return {"TableDescription": out}

    def _answer_index_updates(self, out: dict, before, gsi: "_GsiUpdates", switched: bool) -> None:
        """UpdateTable's answer for its GSI Updates and Delete as AWS answers them (live, 2026-10, DDB-TABLE-135,
        155, 165): an index whose throughput or maximums change is UPDATING, with the capacity it had (unless the
        billing mode switched: then the new); a warm throughput change shows the values it had, UPDATING; a
        deleted index is still listed, DELETING. DescribeTable shows the result at once."""
        if not (gsi.throughput or gsi.on_demand or gsi.warm or gsi.delete):
            return
        was = {d["IndexName"]: d for d in self._describe(before).get("GlobalSecondaryIndexes") or ()}
        for desc in out.get("GlobalSecondaryIndexes") or ():
            name, old = desc["IndexName"], was.get(desc["IndexName"])
            if old is None:
                continue
            if name in (gsi.throughput or {}) or name in (gsi.on_demand or {}):
                desc["IndexStatus"] = "UPDATING"
            if name in (gsi.throughput or {}) and not switched:
                desc["ProvisionedThroughput"] = old["ProvisionedThroughput"]
            if name in (gsi.warm or {}):
                desc["WarmThroughput"] = dict(old["WarmThroughput"], Status="UPDATING")
        if gsi.delete in was:
            order = list(was)
            listed = out.setdefault("GlobalSecondaryIndexes", [])
            listed.insert(sum(order.index(d["IndexName"]) < order.index(gsi.delete) for d in listed
                              if d["IndexName"] in was), dict(was[gsi.delete], IndexStatus="DELETING"))

    def _throughput_change(self, tdef, checks: Checks, billing: str | None) -> dict:
        """UpdateTable's BillingMode and ProvisionedThroughput as changes of ``tdef``, refused as AWS refuses them:
        throughput for an on-demand table (``_throughput``), a switch to PROVISIONED without it, or the throughput
        the table already has."""
        pt = checks.get("ProvisionedThroughput")
        mode = billing or tdef.billing_mode
        if pt is None and mode == "PROVISIONED" and (billing is not None or tdef.billing_mode != "PROVISIONED"):
            # also re-naming PROVISIONED alone on a provisioned table, as AWS answers it (live, DDB-TABLE-164)
            raise ValidationException(INVALID + "ProvisionedThroughput must be specified when BillingMode is "
                                      "PROVISIONED")
        mode, rcu, wcu = self._throughput(checks, mode, required=False)
        if pt is not None and tdef.billing_mode == "PROVISIONED" and (rcu, wcu) == (tdef.read_capacity,
                                                                                  tdef.write_capacity):
            raise ValidationException(
                "The provisioned throughput for the table will not change. The requested value equals the current "
                f"value. Current ReadCapacityUnits provisioned for the table: {tdef.read_capacity}. Requested "
                f"ReadCapacityUnits: {rcu}. Current WriteCapacityUnits provisioned for the table: "
                f"{tdef.write_capacity}. Requested WriteCapacityUnits: {wcu}. Refer to the Amazon DynamoDB "
                "Developer Guide for current limits and how to request higher limits.")
        return dict(billing_mode=mode, read_capacity=rcu or tdef.read_capacity,
                    write_capacity=wcu or tdef.write_capacity)

    @staticmethod
    def _gsi_updates(tdef, request: dict, billing: str) -> "_GsiUpdates":
        """UpdateTable's GlobalSecondaryIndexUpdates (``_GsiUpdates``). One Create or Delete per request, as AWS. A
        switch to PROVISIONED needs every GSI's throughput."""
        updates = request.get("GlobalSecondaryIndexUpdates") or []
        throughputs: dict[str, tuple[int, int]] = {}
        on_demand: dict[str, dict[str, int]] = {}
        warm: dict[str, dict[str, int]] = {}
        create = delete = None
        creates_or_deletes = 0
        named: set[str] = set()
        create_at = ""
        for i, update in enumerate(updates, 1):
            at = f"globalSecondaryIndexUpdates.{i}.member."
            checks = Checks(update, at)
            c = checks.get("Create")
            d = checks.get("Delete")
            u = checks.get("Update")
            checks.done()
            actions = sum(x is not None for x in (c, d, u))
            if not actions:
                raise ValidationException(INVALID + "One of GlobalSecondaryIndexUpdate.Update, "
                                          "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must "
                                          "not be null")
            if actions > 1:
                raise ValidationException(INVALID + "Only one global secondary index action is allowed per "
                                          "GlobalSecondaryIndexUpdate object")
            action = next(x for x in (c, d, u) if x is not None)
            index_name = action.get("IndexName") if isinstance(action, dict) else None
            if index_name in named:
                raise ValidationException(INVALID + "Only one global secondary index update per index is allowed "
                                          f"simultaneously. Index: {index_name}")
            if index_name is not None:
                named.add(index_name)
            if c is not None and request.get("AttributeDefinitions") is None:
                raise ValidationException(INVALID + f"AttributeDefinitions is not specified for index: {index_name}")
            if c is not None and isinstance(index_name, str) and tdef.index(index_name) is not None:
                raise ValidationException(INDEX_EXISTS)   # judged before the index's own definition, as AWS
            if (d or u) is not None and isinstance(index_name, str) and tdef.index(index_name) is not None \
                    and not tdef.index(index_name).is_global:
                raise ValidationException(f"Cannot {'delete' if d is not None else 'update'} an index that is not "
                                          f"a GlobalSecondaryIndex: {index_name}")
            if u is not None:
                sub = Checks(u, at + "update.")
                index_name = sub.string("IndexName", required=True, min_len=3, max_len=255)
                pt = sub.get("ProvisionedThroughput")
                sub.done()
                if tdef.index(index_name) is None or not tdef.index(index_name).is_global:
                    raise ResourceNotFoundException(index_not_found(index_name, tdef.name))
                throughput = _index_throughput(tdef, index_name, u, pt, billing, at + "update.")
                if throughput is not None:
                    throughputs[index_name] = throughput
                maximums = _maximums(u.get("OnDemandThroughput"), billing, updating=True, index=index_name)
                if maximums is not None:
                    on_demand[index_name] = maximums
                given_warm = _given_warm(u.get("WarmThroughput"))
                if given_warm is not None:
                    warm[index_name] = given_warm
                continue
            creates_or_deletes += 1
            if d is not None:
                sub = Checks(d, at + "delete.")
                delete = sub.string("IndexName", required=True, min_len=3, max_len=255)
                sub.done()
            else:
                create, create_at = c, at + "create."
        if creates_or_deletes > 1:
            raise LimitExceededException(ONE_INDEX_AT_A_TIME)
        definitions = None
        if create is not None:
            types = dict(tdef.attribute_definitions)
            for n, t in _attribute_definitions(request.get("AttributeDefinitions") or []).items():
                if n in types and types[n] != t:
                    raise ValidationException(INVALID + f"Cannot change the type of attribute {n}")
                types[n] = t
            stored = _indexes({"GlobalSecondaryIndexes": [create]}, types, list(tdef.key_names), billing,
                              creating=False, path=create_at)["gsi"]
            create = stored[0]
            used = {k["AttributeName"] for k in create["KeySchema"]}
            definitions = tuple(tdef.attribute_definitions) + tuple(
                (n, t) for n, t in types.items() if n in used and n not in dict(tdef.attribute_definitions))
        if billing == "PROVISIONED" and tdef.billing_mode != "PROVISIONED":
            for ix in tdef.indexes.get("gsi") or ():
                if ix["IndexName"] not in throughputs and ix["IndexName"] != delete:
                    raise ValidationException(INVALID + f"ProvisionedThroughput must be specified for index: "
                                              f"{ix['IndexName']}")
        return _GsiUpdates(create, delete, definitions, throughputs or None, on_demand or None, warm or None)

    def delete_table(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks, control_plane=True)
        checks.done()
        tdef = self.tables.get(name)
        described = self._describe(tdef, "DELETING")
        self.tables.delete(name)
        return {"TableDescription": {k: v for k, v in described.items() if k in DELETE_TABLE_MEMBERS}}

    def update_time_to_live(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks, control_plane=True)
        spec = checks.get("TimeToLiveSpecification", required=True)
        checks.done()
        sub = Checks(spec, "timeToLiveSpecification.")   # AWS names AttributeName first (live, 2026-10)
        attribute = sub.string("AttributeName", required=True, min_len=1, max_len=255)
        enabled = sub.get("Enabled", required=True)
        sub.done()
        self.tables.set_ttl(name, attribute, enabled)
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}

    def describe_time_to_live(self, request: dict) -> dict:
        checks = Checks(request)
        name = table_name(checks, control_plane=True)
        checks.done()
        tdef = self.tables.get(name)
        desc = {"TimeToLiveStatus": "ENABLED" if tdef.ttl_enabled else "DISABLED"}
        if tdef.ttl_enabled:
            desc["AttributeName"] = tdef.ttl_attribute
        return {"TimeToLiveDescription": desc}


# -- secondary index definitions ------------------------------------------------------------------------------

PROJECTION_TYPES = ["ALL", "KEYS_ONLY", "INCLUDE"]


def _attribute_definitions(definitions: list) -> dict[str, str]:
    """CreateTable's (or UpdateTable's) AttributeDefinitions as {name: type} in request order, each entry refused
    in AWS's words at its path (``attributeDefinitions.1.member.attributeType``, the type named first, as AWS
    does), a name given twice as AWS refuses it."""
    types: dict[str, str] = {}
    for i, d in enumerate(definitions, 1):
        sub = Checks(d, f"attributeDefinitions.{i}.member.")
        t = sub.string("AttributeType", required=True, enum=list(KEY_TYPES))
        n = sub.string("AttributeName", required=True, min_len=1, max_len=255)
        sub.done()
        if n in types:
            raise ValidationException(f"Attribute Name is duplicated: {n}")
        types[n] = t
    return types


def _key_schema(schema: list, path: str = "") -> list[str]:
    """The attribute names of a KeySchema (table or index, at ``path`` as AWS's messages name it: ``keySchema.``):
    HASH first, then an optional RANGE of another name (one name twice is judged before the key types, as AWS)."""
    names, roles = [], []
    for i, element in enumerate(schema, 1):
        sub = Checks(element, f"{path}{i}.member." if path else "")
        names.append(sub.string("AttributeName", required=True, min_len=1, max_len=255))
        roles.append(sub.string("KeyType", required=True, enum=["HASH", "RANGE"]))
        sub.done()
    if len(names) == 2 and names[0] == names[1]:
        raise ValidationException("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    for i, role in enumerate(roles):
        if role != ("HASH" if i == 0 else "RANGE"):
            raise ValidationException("Invalid KeySchema: The first KeySchemaElement is not a HASH key type" if i == 0
                                      else "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    return names


def _definitions_match(types: dict[str, str], table_keys: list[str], request: dict) -> None:
    """CreateTable's AttributeDefinitions (``types``, in request order) against the keys of the table and of its
    indexes: exactly the attributes they use, or AWS's answer for the way they differ, one of its four wordings
    chosen by the sizes of the two sets and whether the request declares an index. Lists are in request order,
    the keys used the table's first."""
    index_keys = [k.get("AttributeName") for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                  for ix in request.get(member) or () if isinstance(ix, dict)
                  for k in ix.get("KeySchema") or () if isinstance(k, dict)]
    used = list(dict.fromkeys(n for n in table_keys + index_keys if isinstance(n, str)))
    defined = list(types)
    missing = [n for n in used if n not in types]
    if not missing and len(defined) == len(used):
        return
    indexed = bool(request.get("GlobalSecondaryIndexes") or request.get("LocalSecondaryIndexes"))
    if len(defined) > len(used):
        raise ValidationException(INVALID + (
            f"Some AttributeDefinitions are not used. AttributeDefinitions: [{', '.join(defined)}], keys used: "
            f"[{', '.join(used)}]" if indexed else
            "Number of attributes in KeySchema does not exactly match number of attributes defined in "
            "AttributeDefinitions"))
    if len(defined) < len(used) and not indexed:
        raise ValidationException("Invalid KeySchema: Some index key attribute have no definition")
    raise ValidationException(INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: "
                              f"[{', '.join(missing if indexed else used)}], AttributeDefinitions: "
                              f"[{', '.join(defined)}]")


def _indexes(request: dict, types: dict, table_keys: list[str], billing: str, creating: bool = True,
             path: str | None = None) -> dict:
    """Validate CreateTable's LocalSecondaryIndexes / GlobalSecondaryIndexes (or, not ``creating``, UpdateTable's
    GSI Create) into the stored form ``{"lsi": [...], "gsi": [...]}`` (each: IndexName, KeySchema, Projection; a
    GSI also ProvisionedThroughput, and OnDemandThroughput's maximums and WarmThroughput when given)."""
    out: dict[str, list] = {"lsi": [], "gsi": []}
    seen: set[str] = set()
    projected = 0
    for kind, member in (("lsi", "LocalSecondaryIndexes"), ("gsi", "GlobalSecondaryIndexes")):
        given = request.get(member)
        if given is None:
            continue
        if not given:
            raise ValidationException(INVALID + f"List of {member} is empty")
        if kind == "lsi" and len(table_keys) < 2:
            raise ValidationException(INVALID + "Table KeySchema does not have a range key, which is required when "
                                      "specifying a LocalSecondaryIndex")
        for i, ix in enumerate(given, 1):
            at = path if path is not None else f"{member[:1].lower()}{member[1:]}.{i}.member."
            checks = Checks(ix, at)
            name = checks.string("IndexName", required=True, min_len=3, max_len=255, pattern="[a-zA-Z0-9_.-]+")
            schema = checks.get("KeySchema", required=True)
            projection_spec = checks.get("Projection", required=True)
            throughput = checks.get("ProvisionedThroughput")
            checks.done()
            if name in seen:
                raise ValidationException(INVALID + f"Duplicate index name: {name}")
            seen.add(name)
            if len(schema) > 2:
                raise ValidationException(INVALID + f"Too many key attributes for index: {name}")
            keys = _key_schema(schema, at + "keySchema.")
            if not keys:
                raise ValidationException(INVALID + f"Index KeySchema must not be empty for index: {name}")
            missing = [k for k in keys if k not in types]
            if missing and not creating:   # CreateTable's are judged with the table's (_definitions_match)
                raise ValidationException(INVALID + "Some index key attributes are not defined in "
                                          f"AttributeDefinitions. Keys: [{', '.join(keys)}], AttributeDefinitions: "
                                          f"[{', '.join(types)}]")
            if kind == "lsi" and (keys[0] != table_keys[0] or len(keys) != 2):
                raise ValidationException(INVALID + "Index KeySchema does not have the same leading hash key as "
                                          f"table KeySchema for index: {name}. index hash key: {keys[0]}, table "
                                          f"hash key: {table_keys[0]}")
            sub = Checks(projection_spec, at + "projection.")
            ptype = sub.string("ProjectionType", enum=PROJECTION_TYPES)
            non_key = sub.get("NonKeyAttributes")
            sub.done()
            if ptype is None:
                raise ValidationException(INVALID + "Unknown ProjectionType: null")
            _check_non_key_attributes(non_key, name)
            projected += len(non_key or ())
            if ptype == "INCLUDE" and not non_key:
                raise ValidationException(INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not "
                                          f"specified for index: {name}")
            if ptype != "INCLUDE" and non_key is not None:
                raise ValidationException(INVALID + f"ProjectionType is {ptype}, but NonKeyAttributes is specified "
                                          f"for index: {name}")
            stored = {"IndexName": name,
                      "KeySchema": [{"AttributeName": k, "KeyType": "HASH" if i == 0 else "RANGE"}
                                    for i, k in enumerate(keys)],
                      "Projection": {"ProjectionType": ptype, **({"NonKeyAttributes": non_key} if non_key else {})}}
            if kind == "gsi":
                capacity = _capacity(throughput, at + "provisionedThroughput.") if throughput is not None else None
                if billing == "PAY_PER_REQUEST" and throughput is not None:
                    raise ValidationException(INVALID + f"ProvisionedThroughput should not be specified for index: "
                                              f"{name} when BillingMode is PAY_PER_REQUEST")
                if billing == "PROVISIONED" and throughput is None:   # AWS's words differ by operation
                    raise ValidationException(INVALID + (f"ProvisionedThroughput is not specified for index: {name}"
                                                         if creating else "Both ReadCapacityUnits and "
                                                         f"WriteCapacityUnits must be specified for index: {name}"))
                if capacity is not None:
                    rcu, wcu = capacity
                    stored["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
                maximums = _maximums(ix.get("OnDemandThroughput"), billing, updating=False, index=name)
                if maximums is not None:
                    stored["OnDemandThroughput"] = maximums
                pt = stored.get("ProvisionedThroughput") or {}
                warm = _initial_warm(ix.get("WarmThroughput"), billing, pt.get("ReadCapacityUnits", 0),
                                     pt.get("WriteCapacityUnits", 0), index=name)
                if warm is not None:
                    stored["WarmThroughput"] = warm
            out[kind].append(stored)
        if kind == "lsi" and len(out["lsi"]) > MAX_LSI:
            raise ValidationException(INVALID + f"Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSI}")
        if kind == "gsi" and len(out["gsi"]) > MAX_GSI:
            raise ValidationException(INVALID + f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSI}")
    if projected > MAX_PROJECTED:
        raise ValidationException(INVALID + "The number of attributes in NonKeyAttributes of all the indexes of a "
                                  f"table exceeds the limit of {MAX_PROJECTED}; number of attributes: {projected}")
    return out


def _check_non_key_attributes(non_key: list | None, index: str) -> None:
    """An index's NonKeyAttributes: names of 1..255 characters, each once."""
    if not non_key:
        return
    seen = set()
    for attr in non_key:
        if not 1 <= len(attr) <= MAX_KEY_NAME:
            raise ValidationException(INVALID + f"NonKeyAttributes names must be 1 to {MAX_KEY_NAME} characters "
                                      f"long; index: {index}, name length: {len(attr)}")
        if attr in seen:
            raise ValidationException(INVALID + f"Duplicate element in NonKeyAttributes: {attr}")
        seen.add(attr)
