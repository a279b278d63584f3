"""Request validation in AWS's own words (the Coral validation framework's messages).

A ``Checks`` collects every constraint violation of one request, then raises one ValidationException:
``1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less
than or equal to 1000`` (member names camel-cased, several errors joined by ``; `` with the count adjusted: the
envelope is ``errors.ConstraintViolations``). Member types (a string where a number belongs) are checked before
a request reaches a Checks, by members.py, for the server and the embedded store alike.

Pure; a Checks is used by one request on one thread.
"""
from __future__ import annotations

import re

from logstore.errors import ConstraintViolations, ValidationException
from logstore.stream import ids


def _member(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value) -> str:
    return "null" if value is None else f"'{value}'"


class Checks:
    def __init__(self, request: dict, path: str = ""):
        """``path``: where the checked structure sits in the request, as messages name it
        (``transactItems.2.member.put.``)."""
        self.request = request
        self.path = path
        self.errors: list[str] = []

    def _fail(self, name: str, value, constraint: str) -> None:
        self.errors.append(f"Value {_show(value)} at '{self.path}{_member(name)}' failed to satisfy constraint: "
                           f"{constraint}")

    def get(self, name: str, required: bool = False):
        """The member's value (None if absent), recording a violation if required and absent. Its type was
        checked against the model before the request reached a Checks (members.py)."""
        value = self.request.get(name)
        if value is None and required:
            self._fail(name, None, "Member must not be null")
        return value

    def string(self, name: str, *, required=False, min_len=None, max_len=None, pattern=None, enum=None):
        value = self.get(name, required)
        if value is None:
            return None
        if enum is not None and value not in enum:
            self._fail(name, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        if min_len is not None and len(value) < min_len:
            self._fail(name, value, f"Member must have length greater than or equal to {min_len}")
        if max_len is not None and len(value) > max_len:
            self._fail(name, value, f"Member must have length less than or equal to {max_len}")
        if pattern is not None and not re.fullmatch(pattern, value):
            self._fail(name, value, f"Member must satisfy regular expression pattern: {pattern}")
        return value

    def integer(self, name: str, *, required=False, min_value=None, max_value=None):
        """An integer member (its Java type's range is members.py's check, made before)."""
        value = self.get(name, required)
        if value is None:
            return None
        if min_value is not None and value < min_value:
            self._fail(name, value, f"Member must have value greater than or equal to {min_value}")
        if max_value is not None and value > max_value:
            self._fail(name, value, f"Member must have value less than or equal to {max_value}")
        return value

    def done(self) -> None:
        """Raise the collected violations, if any."""
        if self.errors:
            raise ConstraintViolations(*self.errors)


TABLE_NAME_PATTERN = "[a-zA-Z0-9_.-]+"
_TABLE_NAME = re.compile(TABLE_NAME_PATTERN)
_GOOD_TABLE_NAMES: dict[str, str] = {}   # table_name's memo: a TableName given -> the name, for those that passed


def named_table(value) -> str | None:
    """The table a TableName (or a batch's RequestItems key) names: a name, or a table ARN of one, as AWS's model
    takes (1..1024 characters; the name 3..255 characters of ``[a-zA-Z0-9_.-]``); None for anything else."""
    known = _GOOD_TABLE_NAMES.get(value) if type(value) is str else None
    if known is not None or type(value) is not str or not 1 <= len(value) <= 1024:
        return known
    arn = ids.parse_table_arn(value)
    name = arn[3] if arn else value
    if not (3 <= len(name) <= 255 and _TABLE_NAME.fullmatch(name)):
        return None
    if len(_GOOD_TABLE_NAMES) >= 4096:   # a bound, not an LRU: names in use are few
        _GOOD_TABLE_NAMES.clear()
    _GOOD_TABLE_NAMES[value] = name
    return name


def table_name(checks: Checks, name: str = "TableName", required: bool = True, control_plane: bool = False,
               pattern_first: bool = False) -> str | None:
    """A TableName member (``named_table``), or each constraint it fails recorded in ``checks``. An empty one is
    a length under 1 for the item operations, and for the table operations (``control_plane``) a name too short
    and of no allowed character, in AWS's order (``pattern_first``: ListTables names the pattern first), as AWS
    answered each live."""
    value = checks.get(name, required)
    if value is None:
        return None
    known = named_table(value)
    if known is not None:
        return known
    if not value and control_plane:
        failures = ["Member must have length greater than or equal to 3",
                    f"Member must satisfy regular expression pattern: {TABLE_NAME_PATTERN}"]
        for failure in reversed(failures) if pattern_first else failures:
            checks._fail(name, value, failure)
        return value
    if not 1 <= len(value) <= 1024:
        checks._fail(name, value, "Member must have length greater than or equal to 1" if not value else
                     "Member must have length less than or equal to 1024")
        return value
    arn = ids.parse_table_arn(value)
    if arn:
        value = arn[3]
    if len(value) < 3:
        checks._fail(name, value, "Member must have length greater than or equal to 3")
    if len(value) > 255:
        checks._fail(name, value, "Member must have length less than or equal to 255")
    if not _TABLE_NAME.fullmatch(value):
        checks._fail(name, value, f"Member must satisfy regular expression pattern: {TABLE_NAME_PATTERN}")
    return value


class _RequestValidation:
    """request_validation's context manager: a class, not a generator (it wraps every PutItem's checks)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is not None and issubclass(kind, ValidationException) and not issubclass(kind, ConstraintViolations):
            raise ConstraintViolations(exc.message, details=exc.details) from None
        return False


_REQUEST_VALIDATION = _RequestValidation()


def request_validation() -> _RequestValidation:
    """AWS's front end reports what it finds wrong with a request before consulting any table inside its
    validation envelope: ``1 validation error detected: <message>``. Wraps the ValidationExceptions raised in the
    block that are not already so worded."""
    return _REQUEST_VALIDATION
