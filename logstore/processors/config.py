"""A processor's settings: one frozen value, checked against Lambda's ranges, and its mapping from (and to) the
settings of a Lambda event source mapping, the only place AWS's names for them appear.

| ProcessorConfig               | Lambda event source mapping        | default | range              |
|-------------------------------|------------------------------------|---------|--------------------|
| batch_size                    | BatchSize                          | 100     | 1..10,000          |
| batching_window_s             | MaximumBatchingWindowInSeconds     | 0       | 0..300             |
| starting_position             | StartingPosition                   | (required: TRIM_HORIZON or LATEST)  |
| parallelization_factor        | ParallelizationFactor              | 1       | 1..10              |
| filters                       | FilterCriteria.Filters[].Pattern   | none    | up to 10           |
| max_retry_attempts            | MaximumRetryAttempts               | -1 (until the record expires) | -1..10,000 |
| max_record_age_s              | MaximumRecordAgeInSeconds          | -1 (until the record expires) | -1, 60..604,800 |
| bisect_on_error               | BisectBatchOnFunctionError         | false   |                    |
| report_batch_item_failures    | FunctionResponseTypes: [ReportBatchItemFailures] | false |          |
| on_failure                    | DestinationConfig.OnFailure.Destination: "table:NAME" or "file:PATH" | none |  |

Beyond Lambda: ``poll_interval_s`` (how long an idle shard waits before reading again; default 10 ms embedded,
250 ms remote, which is Lambda's four polls a second), ``name`` (the identity
checkpoints are kept under; default derived from the table and handler), ``retry_delay_s`` (first pause between
retries of a failed batch; doubles, capped at 5 s).

Pure values; thread-safe.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from logstore.errors import InvalidProcessorConfig

from .filters import compile_filters

TRIM_HORIZON, LATEST = "TRIM_HORIZON", "LATEST"


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    starting_position: str = TRIM_HORIZON
    batch_size: int = 100
    batching_window_s: float = 0.0
    parallelization_factor: int = 1
    filters: tuple = field(default=())
    max_retry_attempts: int = -1
    max_record_age_s: int = -1
    bisect_on_error: bool = False
    report_batch_item_failures: bool = False
    on_failure: str | None = None
    poll_interval_s: float | None = None
    retry_delay_s: float = 0.05
    name: str | None = None

    def __post_init__(self) -> None:
        def check(ok: bool, message: str) -> None:
            if not ok:
                raise InvalidProcessorConfig(message)
        check(self.starting_position in (TRIM_HORIZON, LATEST),
              f"starting_position must be TRIM_HORIZON or LATEST, not {self.starting_position!r}")
        check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 10_000,
              f"batch_size must be 1..10000, not {self.batch_size!r}")
        check(0 <= self.batching_window_s <= 300, f"batching_window_s must be 0..300, not {self.batching_window_s!r}")
        check(isinstance(self.parallelization_factor, int) and 1 <= self.parallelization_factor <= 10,
              f"parallelization_factor must be 1..10, not {self.parallelization_factor!r}")
        check(isinstance(self.max_retry_attempts, int) and -1 <= self.max_retry_attempts <= 10_000,
              f"max_retry_attempts must be -1..10000, not {self.max_retry_attempts!r}")
        check(isinstance(self.max_record_age_s, int) and (self.max_record_age_s == -1
                                                          or 60 <= self.max_record_age_s <= 604_800),
              f"max_record_age_s must be -1 or 60..604800, not {self.max_record_age_s!r}")
        check(self.on_failure is None or self.on_failure.startswith(("table:", "file:")),
              f"on_failure must be 'table:NAME' or 'file:PATH', not {self.on_failure!r}")
        check((self.poll_interval_s is None or self.poll_interval_s > 0) and self.retry_delay_s >= 0,
              "poll and retry intervals must be positive")
        object.__setattr__(self, "filters", tuple(self.filters))
        compile_filters(self.filters)  # refuse a malformed pattern now, not when the first record arrives

    @classmethod
    def from_aws(cls, mapping: dict, **beyond) -> "ProcessorConfig":
        """A config from a CreateEventSourceMapping-shaped dict (the members the table above lists)."""
        known = {"StartingPosition", "BatchSize", "MaximumBatchingWindowInSeconds", "ParallelizationFactor",
                 "FilterCriteria", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
                 "BisectBatchOnFunctionError", "FunctionResponseTypes", "DestinationConfig"}
        unknown = set(mapping) - known
        if unknown:
            raise InvalidProcessorConfig(f"unsupported event source mapping settings: {sorted(unknown)}")
        options = dict(beyond)
        for aws, ours in (("StartingPosition", "starting_position"), ("BatchSize", "batch_size"),
                          ("MaximumBatchingWindowInSeconds", "batching_window_s"),
                          ("ParallelizationFactor", "parallelization_factor"),
                          ("MaximumRetryAttempts", "max_retry_attempts"),
                          ("MaximumRecordAgeInSeconds", "max_record_age_s"),
                          ("BisectBatchOnFunctionError", "bisect_on_error")):
            if aws in mapping:
                options[ours] = mapping[aws]
        if "FilterCriteria" in mapping:
            options["filters"] = tuple(f["Pattern"] for f in mapping["FilterCriteria"].get("Filters", ()))
        if "FunctionResponseTypes" in mapping:
            options["report_batch_item_failures"] = "ReportBatchItemFailures" in mapping["FunctionResponseTypes"]
        destination = mapping.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is not None:
            options["on_failure"] = destination
        return cls(**options)

    @property
    def chunk_size(self) -> int:
        """Records read from a shard for one round of (up to parallelization_factor) concurrent batches."""
        return self.batch_size * self.parallelization_factor
