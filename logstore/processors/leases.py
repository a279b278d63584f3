"""Leases: how processor instances (threads, processes, hosts) that read one stream divide its shards, after the
Kinesis Client Library's lease design. The leases live in a DynamoDB table in whatever DynamoDB the processor
talks to: an open ``Store``, ``logstore serve`` or AWS (``client`` is anything with boto3's low-level
``dynamodb`` methods: a boto3 client or a ``Store``).

Lease table (normative; docs/processors.md "Leases"): partition key ``leaseKey`` (S), on-demand billing; one
item per shard of the stream:

| attribute | type | meaning |
|---|---|---|
| ``leaseKey`` | S | the shard id |
| ``streamArn`` | S | the stream the shard belongs to (a lease table serves one stream) |
| ``leaseOwner`` | S | worker id of the instance holding the lease; absent: nobody holds it |
| ``leaseCounter`` | N | +1 on every renewal, take and checkpoint: the lease's heartbeat |
| ``checkpoint`` | S | ``TRIM_HORIZON``, ``LATEST``, the sequence number of the last record handled, or ``SHARD_END`` |
| ``parentShardId`` | SS | the shard's parent (absent for a shard without one) |
| ``ownerSwitchesSinceCheckpoint`` | N | takes since the checkpoint last moved |
| ``checkpointMs`` | N | wall-clock time of the last checkpoint (informative) |

Rules (every write is conditional, so two instances never both win):
* **Sync**: any instance lists the shards and creates a missing lease (``attribute_not_exists(leaseKey)``) with
  ``checkpoint`` TRIM_HORIZON; on the very first sync of an empty table under LATEST, open shards get ``LATEST``
  (or their newest record) and closed ones ``SHARD_END``, as in single-instance mode.
* **Renew**: the owner adds 1 to ``leaseCounter`` if ``leaseOwner`` is still itself, every ``failover_s / 3``.
  A failed renewal means the lease was taken: the instance stops working on the shard. An instance that could
  not renew for ``failover_s`` (its own monotonic clock) stops too, before anyone else may take it.
* **Expiry**: an observer (never comparing clocks across hosts) takes a lease as expired when its
  ``leaseCounter`` has not moved for ``failover_s`` since it first saw that value, or when it has no owner.
* **Take**: set ``leaseOwner`` to itself and add 1 to the counter if ``leaseCounter`` and ``leaseOwner`` are still
  what it observed. Only leases whose parent lease is at ``SHARD_END`` (or whose parent shard is gone) are
  taken: **parents before children across instances**.
* **Balance**: each instance aims at ``ceil(leases it could work on / live instances)``; with fewer it takes
  expired or free leases first, and otherwise steals one lease per round from the instance holding the most, if
  that one holds more than the target (KCL's stealing).
* **Checkpoint**: the owner sets ``checkpoint`` if ``leaseOwner`` is still itself (a take in between fails it:
  those records are delivered again by the new owner, at least once, never skipped).
* **Release**: an instance that stops removes ``leaseOwner`` from its leases, so others take them at once.

Guarantee: a shard is worked on by one instance at a time, except right after a take, until the previous owner
next renews or checkpoints (at most about ``failover_s``); its records are delivered at least once, in order.

Thread-safety: one ``Leases`` per processor; its methods run on the processor's lease thread, ``holds`` on any
(the held set is behind a lock).
"""
from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from logstore.errors import InvalidProcessorConfig, ProcessorError

from .retry import STARTUP_THROTTLE_ATTEMPTS, Retrier, error_code

log = logging.getLogger("logstore.processors")
SHARD_END = "SHARD_END"


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class LeaseSettings:
    """Where the leases live and how quickly an instance's shards move to others."""
    table: str
    worker_id: str = field(default_factory=default_worker_id)
    failover_s: float = 10.0
    create_table: bool = True

    def __post_init__(self) -> None:
        if not self.table or not isinstance(self.table, str):
            raise InvalidProcessorConfig("the lease table needs a name")
        if not (0.2 <= self.failover_s <= 3600):
            raise InvalidProcessorConfig(f"failover_s must be 0.2..3600, not {self.failover_s!r}")

    @property
    def renew_s(self) -> float:
        return self.failover_s / 3


@dataclass(frozen=True, slots=True)
class Lease:
    shard_id: str
    owner: str | None
    counter: int
    checkpoint: str
    parent_id: str | None = None
    owner_switches: int = 0

    @property
    def done(self) -> bool:
        return self.checkpoint == SHARD_END


class LeaseLost(ProcessorError):
    """This instance no longer holds the lease of a shard (another took it): stop working on it."""


def _is_condition_failure(e: BaseException) -> bool:
    return error_code(e) == "ConditionalCheckFailedException"


def _lease_from_item(item: dict) -> Lease:
    parents = item.get("parentShardId", {}).get("SS") or []
    return Lease(item["leaseKey"]["S"], item.get("leaseOwner", {}).get("S"), int(item["leaseCounter"]["N"]),
                 item["checkpoint"]["S"], parents[0] if parents else None,
                 int(item.get("ownerSwitchesSinceCheckpoint", {}).get("N", "0")))


class Leases:
    """The leases of one processor instance over one stream (see the module docstring)."""

    def __init__(self, client, settings: LeaseSettings, stream_arn: str, retrier: Retrier,
                 monotonic: Callable[[], float] = time.monotonic, wall_ms: Callable[[], int] | None = None):
        self.client = client
        self.settings = settings
        self.table = settings.table
        self.me = settings.worker_id
        self.stream_arn = stream_arn
        self.retrier = retrier
        self.monotonic = monotonic
        self.wall_ms = wall_ms or (lambda: int(time.time() * 1000))
        self._lock = threading.Lock()
        self._held: dict[str, float] = {}            # shard id -> monotonic time of the last successful renewal
        self._seen: dict[str, tuple[int, str | None, float]] = {}   # shard id -> (counter, owner, first seen)
        self.taken = self.stolen = self.lost = 0

    # -- the table -----------------------------------------------------------------------------------------------

    def ensure_table(self) -> None:
        """Create the lease table if it does not exist (and ``create_table``), and wait until it is ACTIVE. The
        first contact retries a few times only: an endpoint that is down at startup is reported."""
        first = Retrier(self.retrier.backoff, max_attempts=4, throttle_attempts=STARTUP_THROTTLE_ATTEMPTS,
                        sleep=self.retrier.sleep, what=self.retrier.what)
        try:
            status = first.call(self.client.describe_table, TableName=self.table)["Table"]["TableStatus"]
        except Exception as e:  # only a missing table is ours to handle
            if error_code(e) != "ResourceNotFoundException":
                raise
            if not self.settings.create_table:
                raise ProcessorError(f"lease table {self.table} does not exist") from None
            try:
                self.retrier.call(
                    self.client.create_table, TableName=self.table, BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}])
            except Exception as e2:  # another instance created it first
                if error_code(e2) != "ResourceInUseException":
                    raise
            status = "CREATING"
        deadline = time.monotonic() + 300
        while status != "ACTIVE":
            if time.monotonic() > deadline:
                raise ProcessorError(f"lease table {self.table} not ACTIVE after 300 s")
            time.sleep(1)
            status = self.retrier.call(self.client.describe_table, TableName=self.table)["Table"]["TableStatus"]

    def list(self) -> dict[str, Lease]:
        """Every lease of this stream, read consistently."""
        out: dict[str, Lease] = {}
        request = {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = self.retrier.call(self.client.scan, **request)
            for item in page.get("Items", []):
                if item.get("streamArn", {}).get("S") == self.stream_arn:
                    lease = _lease_from_item(item)
                    out[lease.shard_id] = lease
            if not page.get("LastEvaluatedKey"):
                return out
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def create(self, shard_id: str, parent_id: str | None, checkpoint: str) -> bool:
        item = {"leaseKey": {"S": shard_id}, "streamArn": {"S": self.stream_arn}, "leaseCounter": {"N": "0"},
                "checkpoint": {"S": checkpoint}, "ownerSwitchesSinceCheckpoint": {"N": "0"}}
        if parent_id is not None:
            item["parentShardId"] = {"SS": [parent_id]}
        try:
            self.retrier.call(self.client.put_item, TableName=self.table, Item=item,
                              ConditionExpression="attribute_not_exists(leaseKey)")
            return True
        except Exception as e:
            if _is_condition_failure(e):
                return False
            raise

    def _update(self, shard_id: str, **request) -> dict | None:
        """A conditional UpdateItem; the new item, or None when the condition failed."""
        try:
            return self.retrier.call(self.client.update_item, TableName=self.table,
                                     Key={"leaseKey": {"S": shard_id}}, ReturnValues="ALL_NEW",
                                     **request)["Attributes"]
        except Exception as e:
            if _is_condition_failure(e):
                return None
            raise

    # -- sync, renew, take ---------------------------------------------------------------------------------------

    def sync(self, shards, first_position: str, tail: Callable | None = None) -> dict[str, Lease]:
        """Create the leases of shards that have none. ``first_position`` applies when the table holds no lease
        of this stream yet (LATEST: open shards from their newest record, closed ones done)."""
        leases = self.list()
        first = not leases
        for shard in shards:
            if shard.shard_id in leases:
                continue
            if first and first_position == "LATEST":
                position = SHARD_END if shard.closed else ((tail(shard) if tail else None) or "LATEST")
            else:
                position = "TRIM_HORIZON"
            self.create(shard.shard_id, shard.parent_id, position)
        return self.list() if any(s.shard_id not in leases for s in shards) else leases

    def renew(self) -> list[str]:
        """Renew every lease held; returns the shard ids lost (taken by another instance or not renewable)."""
        lost = []
        with self._lock:
            held = list(self._held)
        now = self.monotonic()
        for shard_id in held:
            try:
                new = self._update(shard_id, UpdateExpression="ADD leaseCounter :one",
                                   ConditionExpression="leaseOwner = :me",
                                   ExpressionAttributeValues={":one": {"N": "1"}, ":me": {"S": self.me}})
            except Exception as e:  # not renewed this round; self-expiry decides
                log.warning("processor lease %s: renewing failed: %r", shard_id, e)
                with self._lock:
                    if now - self._held.get(shard_id, now) > self.settings.failover_s:
                        self._held.pop(shard_id, None)
                        lost.append(shard_id)
                continue
            with self._lock:
                if new is None:
                    self._held.pop(shard_id, None)
                    lost.append(shard_id)
                elif shard_id in self._held:
                    self._held[shard_id] = now
        if lost:
            self.lost += len(lost)
            log.warning("processor %s: lost the leases of %s", self.me, ", ".join(lost))
        return lost

    def holds(self, shard_id: str) -> bool:
        """Whether this instance holds the lease and renewed it within ``failover_s`` (by its own clock)."""
        with self._lock:
            renewed = self._held.get(shard_id)
        return renewed is not None and self.monotonic() - renewed < self.settings.failover_s

    def held(self) -> set[str]:
        with self._lock:
            return set(self._held)

    def drop(self, shard_id: str) -> None:
        """Stop renewing a lease (its shard is done: the SHARD_END checkpoint stays with it)."""
        with self._lock:
            self._held.pop(shard_id, None)

    def take(self, leases: dict[str, Lease], known_shards: set[str]) -> list[str]:
        """One round of taking (expired or free leases, then at most one steal). Returns the shard ids taken."""
        now = self.monotonic()
        for shard_id, lease in leases.items():     # expiry is observed locally: when did the counter last move?
            seen = self._seen.get(shard_id)
            if seen is None or seen[0] != lease.counter or seen[1] != lease.owner:
                self._seen[shard_id] = (lease.counter, lease.owner, now)
        for gone in set(self._seen) - set(leases):
            del self._seen[gone]

        def expired(lease: Lease) -> bool:
            return lease.owner is None or now - self._seen[lease.shard_id][2] >= self.settings.failover_s

        def eligible(lease: Lease) -> bool:
            if lease.done:
                return False
            parent = leases.get(lease.parent_id) if lease.parent_id else None
            return parent is None or parent.done or lease.parent_id not in known_shards

        held = self.held()
        workable = [lease for lease in leases.values() if eligible(lease)]
        owners: dict[str, int] = {self.me: 0}
        for lease in workable:
            if lease.owner is not None and (lease.owner == self.me or not expired(lease)):
                owners[lease.owner] = owners.get(lease.owner, 0) + 1
        owners[self.me] = len([lease for lease in workable if lease.shard_id in held])
        target = math.ceil(len(workable) / len(owners)) if workable else 0
        want = target - owners[self.me]
        if want <= 0:
            return []
        candidates = sorted((lease for lease in workable if lease.shard_id not in held
                             and (lease.owner is None or expired(lease) or lease.owner == self.me)),
                            key=lambda lease: lease.shard_id)
        taken = []
        for lease in candidates[:want]:
            if self._take(lease):
                taken.append(lease.shard_id)
        if not taken and want > 0:
            busiest = max((o for o in owners if o != self.me), key=lambda o: owners[o], default=None)
            if busiest is not None and owners[busiest] > target:
                victims = sorted((lease for lease in workable if lease.owner == busiest),
                                 key=lambda lease: lease.shard_id)
                if victims and self._take(victims[-1]):
                    taken.append(victims[-1].shard_id)
                    self.stolen += 1
                    log.info("processor %s: stole the lease of %s from %s", self.me, victims[-1].shard_id, busiest)
        return taken

    def _take(self, lease: Lease) -> bool:
        values = {":one": {"N": "1"}, ":me": {"S": self.me}, ":counter": {"N": str(lease.counter)}}
        if lease.owner is None:
            condition = "leaseCounter = :counter AND attribute_not_exists(leaseOwner)"
        else:
            condition = "leaseCounter = :counter AND leaseOwner = :owner"
            values[":owner"] = {"S": lease.owner}
        new = self._update(lease.shard_id, ConditionExpression=condition,
                           UpdateExpression="SET leaseOwner = :me ADD leaseCounter :one, "
                                            "ownerSwitchesSinceCheckpoint :one",
                           ExpressionAttributeValues=values)
        if new is None:
            return False
        with self._lock:
            self._held[lease.shard_id] = self.monotonic()
        self.taken += 1
        log.info("processor %s: took the lease of %s (from %s)", self.me, lease.shard_id, lease.owner or "nobody")
        return True

    # -- checkpoints and release ---------------------------------------------------------------------------------

    def checkpoint(self, shard_id: str, value: str) -> None:
        """Move the lease's checkpoint to ``value``; raises LeaseLost if this instance no longer holds it."""
        new = self._update(shard_id, ConditionExpression="leaseOwner = :me",
                           UpdateExpression="SET checkpoint = :cp, checkpointMs = :now, "
                                            "ownerSwitchesSinceCheckpoint = :zero ADD leaseCounter :one",
                           ExpressionAttributeValues={":cp": {"S": value}, ":me": {"S": self.me},
                                                      ":one": {"N": "1"}, ":zero": {"N": "0"},
                                                      ":now": {"N": str(self.wall_ms())}})
        if new is None:
            with self._lock:
                self._held.pop(shard_id, None)
            raise LeaseLost(f"the lease of {shard_id} was taken by another instance")
        with self._lock:
            if shard_id in self._held:
                self._held[shard_id] = self.monotonic()

    def release(self, shard_ids=None) -> None:
        """Give up leases held (all by default) so other instances take them without waiting for expiry."""
        with self._lock:
            ids = list(self._held) if shard_ids is None else [s for s in shard_ids if s in self._held]
            for shard_id in ids:
                self._held.pop(shard_id, None)
        for shard_id in ids:
            try:
                self._update(shard_id, ConditionExpression="leaseOwner = :me", UpdateExpression="REMOVE leaseOwner",
                             ExpressionAttributeValues={":me": {"S": self.me}})
            except Exception as e:  # it will expire instead
                log.warning("processor %s: releasing the lease of %s failed: %r", self.me, shard_id, e)
