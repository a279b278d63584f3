"""Tagging of tables: TagResource, UntagResource, ListTagsOfResource, with AWS's validation and errors.

Tags live in the table's definition (``TableDef.tags``, also set by CreateTable's ``Tags``); a resource is named by
its table ARN (``arn:aws:dynamodb:<region>:<account>:table/<name>``), of this store's region and account. Tagging
changes no item and writes no stream record.

Thread-safety: stateless between calls.
"""
from __future__ import annotations

import re

from logstore.errors import ConstraintViolations, ResourceNotFoundException, ValidationException
from logstore.stream import ids
from logstore.tables import TableEngine

from .validation import Checks

MAX_TAGS = 50
TAG_PATTERN = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"


class TagsService:
    def __init__(self, tables: TableEngine, region: str, account: str):
        self.tables = tables
        self.region = region
        self.account = account

    def _table(self, checks: Checks) -> str:
        arn = checks.string("ResourceArn", required=True, min_len=1, max_len=1283)
        checks.done()
        parts = ids.parse_table_arn(arn)
        if parts is None or parts[0] != "aws" or not re.fullmatch(r"[a-zA-Z0-9_.-]{3,255}", parts[3]):
            raise ValidationException(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
        _, region, account, name = parts
        if (region, account) != (self.region, self.account):
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
        add = validated_tags(checks, tags)
        if not add:
            raise ConstraintViolations("Value '[]' at 'tags' failed to satisfy "
                                      "constraint: Member must have length greater than or equal to 1")
        self._call(name, request["ResourceArn"], add=add)
        return {}

    def untag_resource(self, request: dict) -> dict:
        checks = Checks(request)
        keys = checks.get("TagKeys", required=True)
        name = self._table(checks)
        for i, key in enumerate(keys):
            if not 1 <= len(key) <= 128:     # a str: members.py checked the list's type
                checks._fail(f"tagKeys.{i + 1}.member", key, "Member must have length less than or equal to 128"
                             if key else "Member must have length greater than or equal to 1")
        checks.done()
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


def validated_tags(checks: Checks, tags: list) -> dict:
    """TagResource's (and CreateTable's) ``Tags``: {key: value}, each key 1..128 and each value 0..256 characters
    of AWS's tag alphabet, no ``aws:`` key, at most 50; violations are reported in AWS's words."""
    out = {}
    for i, tag in enumerate(tags):
        sub = Checks(tag)
        key = sub.string("Key", required=True, min_len=1, max_len=128)
        value = sub.string("Value", required=True, min_len=0, max_len=256)
        for member, text in (("key", key), ("value", value)):
            if text is not None and not _allowed(text):
                sub.errors.append(f"Value '{text}' at '{member}' failed to satisfy constraint: Member must satisfy "
                                  f"regular expression pattern: {TAG_PATTERN}")
        checks.errors += [e.replace("at '", f"at 'tags.{i + 1}.member.", 1) for e in sub.errors]
        if key is not None and value is not None:
            out[key] = value
    checks.done()
    reserved = [k for k in out if k.startswith("aws:")]
    if reserved:
        raise ValidationException("One or more parameter values were invalid: Tag keys starting with 'aws:' "
                                  f"are reserved for system use: {reserved[0]}")
    return out


def _not_found(arn: str) -> ResourceNotFoundException:
    # AWS's own message, typo included
    return ResourceNotFoundException(f"Requested resource not found: ResourcArn: {arn} not found")
