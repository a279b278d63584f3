"""The one exception tree of logstore.

Two families hang off ``LogstoreError``:

* ``AwsError`` subclasses are visible to AWS clients. Each is named exactly like the AWS error code it becomes on
  the wire and declares that code, its HTTP status and the ``__type`` prefix as class attributes; the server maps
  an exception to a response by reading them (``AWS_ERRORS`` is derived from the classes, never written by hand).
  A few subclasses refine an AWS class without being a code of their own (``refines = True``): they say more
  about the fault to the code that catches it (``ConstraintViolations``, ``ItemKeyError``) and reach the wire as
  the class they refine.
* ``StorageError`` subclasses describe the engine's own trouble (corruption, an unknown format version, a path
  that is not a store). They never reach a client as themselves: the server turns them into InternalServerError.

Leaf module: imports nothing from logstore, and every layer may import it.
"""
from __future__ import annotations

SERVICE_PREFIX = "com.amazonaws.dynamodb.v20120810#"
VALIDATE_PREFIX = "com.amazon.coral.validate#"
COMMON_PREFIX = "com.amazon.coral.service#"


class LogstoreError(Exception):
    """Base of every error logstore raises on purpose."""


# ---------------------------------------------------------------------------------------------------------------
# Stream processors (logstore/processors): never AWS-visible


class ProcessorError(LogstoreError):
    """A stream processor cannot run as configured."""


class InvalidProcessorConfig(ProcessorError, ValueError):
    """A processor option or filter pattern is out of range or malformed (the message names it)."""


# ---------------------------------------------------------------------------------------------------------------
# Engine errors


class StorageError(LogstoreError):
    """The storage engine cannot do what was asked (not a client mistake)."""


class NotAStoreError(StorageError):
    """The path does not hold a logstore store (missing, or an LMDB environment that logstore did not create)."""


class FormatVersionError(StorageError):
    """The store was written in an on-disk format version this logstore does not read (``version``); an older
    version that ``logstore upgrade`` converts says so in the message."""

    def __init__(self, message: str, *, version: int | None = None):
        self.version = version
        super().__init__(message)


class StoreInUseError(StorageError):
    """The store is already open in this process (LMDB allows one environment per file per process)."""


class ReadOnlyError(StorageError):
    """A write was attempted through a store opened read-only."""


class CorruptionError(StorageError):
    """Stored bytes fail validation. ``status`` is the codec's status code (see csrc/logseg.h); ``shard`` and
    ``segment`` (the last sequence number the segment's key names) say where, once the storage layer knows;
    ``what`` names the kind of thing damaged ("segment", or e.g. "store file" for LMDB's own pages); for a
    damaged item or catalogue value (a sealed value whose checksum fails) ``where`` names it (table and key)."""

    def __init__(self, reason: str, *, status: int | None = None, shard: int | None = None,
                 segment: int | None = None, what: str = "segment", where: str | None = None):
        self.reason = reason
        self.status = status
        self.shard = shard
        self.segment = segment
        self.what = what
        self.where = where
        if where is not None:   # a damaged value outside the segment log (an item, a catalogue entry)
            super().__init__(f"the store is damaged: {where}: {reason}")
            return
        place = ""
        if shard is not None:
            place = f"shard {shard}" + (f", segment {segment}" if segment is not None else "") + ": "
        super().__init__(f"corrupt {what}: {place}{reason}")

    def located(self, shard: int, segment: int | None) -> "CorruptionError":
        """The same error, naming where it was found."""
        return CorruptionError(self.reason, status=self.status, shard=shard, segment=segment, what=self.what)


class DiskFullError(StorageError):
    """A write could not be made because the store's filesystem is full (or the process's file-size limit was
    reached). Nothing of it was written; the store stays readable, and writes succeed again once there is space."""


class ReadOnlyFilesystemError(StorageError):
    """The store is on a read-only filesystem and was opened for writing: open it read-only."""


# ---------------------------------------------------------------------------------------------------------------
# AWS-visible errors: class name == AWS error code


class AwsError(LogstoreError):
    """An error an AWS client sees. Subclasses set ``code``-defining name, ``http_status`` and ``prefix``."""

    http_status = 400
    prefix = SERVICE_PREFIX
    default_message = ""
    refines = False     # True: a finer kind of its parent's AWS error, sent as the parent's code

    def __init__(self, message: str | None = None, details: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        """Members the error carries on the wire beside ``message`` (``Item``, ``CancellationReasons``)."""
        super().__init__(self.message)

    @classmethod
    def code(cls) -> str:
        for klass in cls.__mro__:
            if not klass.__dict__.get("refines", False):
                return klass.__name__
        raise AssertionError("unreachable: AwsError does not refine")

    @classmethod
    def aws_type(cls) -> str:
        return cls.prefix + cls.code()


class ValidationException(AwsError):
    prefix = VALIDATE_PREFIX


class ConstraintViolations(ValidationException):
    """Coral's validation envelope, rendered here and nowhere else: ``1 validation error detected: <violation>``
    (several joined by ``; ``, the count adjusted). ``violations`` are the envelope's parts."""

    refines = True

    def __init__(self, *violations: str, details: dict | None = None):
        self.violations = violations
        n = len(violations)
        super().__init__(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(violations),
                         details)


class ItemKeyError(ValidationException):
    """An item's or key's own fault against its table's schema (a key element that does not match the schema, a
    key or index-key attribute of the wrong type): TransactWriteItems reports it as the action's
    ValidationError cancellation reason rather than refusing the whole request."""

    refines = True


class ResourceNotFoundException(AwsError):
    default_message = "Requested resource not found"


class ResourceInUseException(AwsError):
    pass


class TrimmedDataAccessException(AwsError):
    default_message = "The data you are trying to access has been trimmed."


class ExpiredIteratorException(AwsError):
    default_message = "Iterator expired. The iterator was created over 15 minutes ago."


class LimitExceededException(AwsError):
    pass


class ConditionalCheckFailedException(AwsError):
    default_message = "The conditional request failed"


class TransactionCanceledException(AwsError):
    pass


class IdempotentParameterMismatchException(AwsError):
    pass


class SerializationException(AwsError):
    prefix = COMMON_PREFIX


class UnknownOperationException(AwsError):
    prefix = COMMON_PREFIX


class InternalServerError(AwsError):
    http_status = 500
    default_message = "Internal server error"


# Raised by the HTTP border (logstore.server): authentication and transport.


class MissingAuthenticationTokenException(AwsError):
    prefix = COMMON_PREFIX
    default_message = "Request is missing Authentication Token"


class IncompleteSignatureException(AwsError):
    prefix = COMMON_PREFIX


class InvalidSignatureException(AwsError):
    prefix = COMMON_PREFIX
    default_message = ("The request signature we calculated does not match the signature you provided. Check your "
                       "AWS Secret Access Key and signing method. Consult the service documentation for details.")


class UnrecognizedClientException(AwsError):
    prefix = COMMON_PREFIX
    default_message = "The security token included in the request is invalid."


class RequestEntityTooLargeException(AwsError):
    prefix = COMMON_PREFIX
    http_status = 413
    default_message = "Request entity too large"


class ThrottlingException(AwsError):
    """The server is busy (here: the budget of request bodies in flight is spent); SDKs retry it."""
    prefix = "com.amazon.coral.availability#"
    default_message = "Rate of requests exceeds the allowed throughput."


class RequestTimeoutException(AwsError):
    """The request's body did not arrive in time (ours: AWS's front end closes such connections)."""
    prefix = COMMON_PREFIX
    http_status = 408
    default_message = "The request body did not arrive within the server's body-read timeout"


def _aws_errors() -> dict[str, type[AwsError]]:
    found: dict[str, type[AwsError]] = {}
    todo = list(AwsError.__subclasses__())
    while todo:
        cls = todo.pop()
        if not cls.__dict__.get("refines", False):
            found[cls.code()] = cls
        todo.extend(cls.__subclasses__())
    return found


AWS_ERRORS: dict[str, type[AwsError]] = _aws_errors()
"""Error code -> class, derived from the classes above."""
