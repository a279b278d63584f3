"""Tagging of tables: TagResource, UntagResource, ListTagsOfResource, with AWS's validation and errors.

Tags live in the table's definition (``TableDef.tags``, also set by CreateTable's ``Tags``); a resource is named by
its table ARN (``arn:aws:dynamodb:<region>:<account>:table/<name>``), of this store's region and account. Tagging
changes no item and writes no stream record.

Thread-safety: stateless between calls.
"""
from __future__ import annotations

import re

from logstore.errors import ResourceNotFoundException, ValidationException
from logstore.stream import ids
from logstore.tables import TableEngine
from logstore.tables.engine import TOO_MANY_TAGS

from .validation import Checks

MAX_TAGS = 50


class TagsService:
    def __init__(self, tables: TableEngine, region: str, account: str):
        self.tables = tables
        self.region = region
        self.account = account

    def _table(self, checks: Checks) -> str:
        arn = checks.string("ResourceArn", required=True, min_len=1, max_len=1283)
        checks.done()
        if not arn.startswith("arn:"):
            raise ValidationException(f"One or more parameter values were invalid: ARNs must start with 'arn:': {arn}")
        parts = ids.parse_table_arn(arn)
        if parts is not None and re.fullmatch(r"[a-zA-Z0-9_.-]{3,255}/index/.+", parts[3]):
            raise ValidationException("One or more parameter values were invalid: Invalid resource arn provided, "
                                      f"only table or stream is accepted. Provided resource arn: {arn}")
        if parts is None or parts[0] != "aws" or not re.fullmatch(r"[a-zA-Z0-9_.-]{3,255}", parts[3]) \
                or parts[1] != self.region:   # another region's ARN too, as AWS answered it live (2026-10)
            raise ValidationException(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
        _, region, account, name = parts
        if account != self.account:
            raise _not_found(arn)
        return name

    def _call(self, name: str, arn: str, **change):
        try:
            return self.tables.retag(name, max_tags=MAX_TAGS, **change)
        except ResourceNotFoundException:
            raise _not_found(arn) from None

    def tag_resource(self, request: dict) -> dict:
        checks = Checks(request)
        tags = checks.get("Tags", required=True)
        name = self._table(checks)
        add = validated_tags(tags, at_least_one=True)
        self._call(name, request["ResourceArn"], add=add)
        return {}

    def untag_resource(self, request: dict) -> dict:
        checks = Checks(request)
        keys = checks.get("TagKeys", required=True)
        name = self._table(checks)
        if not keys:
            raise ValidationException("Atleast one Tag Key needs to be provided as Input.")
        for key in keys:                     # each a str: members.py checked the list's type
            _check_key(key)
        if len(keys) > MAX_TAGS:
            raise ValidationException(TOO_MANY_TAGS)
        self._call(name, request["ResourceArn"], remove=keys)
        return {}

    def list_tags_of_resource(self, request: dict) -> dict:
        checks = Checks(request)
        checks.string("NextToken")
        name = self._table(checks)
        try:
            tdef = self.tables.get(name)
        except ResourceNotFoundException:
            raise _not_found(request["ResourceArn"]) from None
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tdef.tags.items())]}


def _allowed(text: str) -> bool:
    """AWS's tag alphabet: letters, digits, white space and ``_ . : / = + - @``
    (``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``)."""
    return all(c.isalnum() or c.isspace() or c in "_.:/=+-@" for c in text)


def _check_key(key: str | None) -> None:
    """A tag key of TagResource, UntagResource or CreateTable: 1..128 characters of AWS's tag alphabet."""
    if key is None or not 1 <= len(key) <= 128 or not _allowed(key):
        raise ValidationException(f"The Tag Key provided is invalid, Key: {'null' if key is None else key}")


def validated_tags(tags: list, *, at_least_one: bool) -> dict:
    """TagResource's (``at_least_one``) and CreateTable's ``Tags`` as {key: value}: each key 1..128 and each value
    0..256 characters of AWS's tag alphabet, no ``aws:`` key, no key twice, at most 50; the first fault refused in
    AWS's words (as it answered live, 2026-10), so nothing of a refused request is applied."""
    if not tags and at_least_one:
        raise ValidationException("Atleast one Tag needs to be provided as Input.")
    out: dict[str, str] = {}
    for tag in tags:                         # each a dict of str: members.py checked the types
        key, value = tag.get("Key"), tag.get("Value")
        _check_key(key)
        if value is None or len(value) > 256 or not _allowed(value):
            raise ValidationException("The Tag Value provided is invalid, Value: "
                                      f"{'null' if value is None else value}")
        if key.startswith("aws:"):
            raise ValidationException(f"Tag Key cannot be prefixed with aws:, Key: {key}")
        if key in out:
            raise ValidationException(f"Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}")
        out[key] = value
    if len(out) > MAX_TAGS:
        raise ValidationException(TOO_MANY_TAGS)
    return out


def _not_found(arn: str) -> ResourceNotFoundException:
    # AWS's message as it answered it live in 2026-10 (DDB-TABLE-446); it once read "ResourcArn", as older
    # emulators still have it
    return ResourceNotFoundException(f"Requested resource not found: ResourceArn: {arn} not found")
