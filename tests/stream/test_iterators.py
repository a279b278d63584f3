"""stream/iterators.py: a shard iterator reads back only under the key and stream ARN it was signed for, in its
one canonical spelling; every other string is ValidationException "Invalid ShardIterator"."""
from __future__ import annotations

import random

import pytest

from logstore.errors import ValidationException
from logstore.stream import ids, iterators
from logstore.stream.iterators import IteratorToken

KEY = b"k" * 32
ARN = ids.stream_arn("us-east-1", "000000000000", "orders", ids.stream_label(1_700_000_000_000))
TOKEN = IteratorToken(stream_no=3, shard_no=7, position=(1 << 64) - 1, issued_ms=1_700_000_000_000)


def test_a_token_reads_back_and_is_never_the_same_string_twice():
    texts = {iterators.encode(TOKEN, ARN, KEY) for _ in range(50)}
    assert len(texts) == 50
    assert all(iterators.decode(t, KEY) == (ARN, TOKEN) for t in texts)
    assert all(len(t) <= iterators.MAX_LEN for t in texts)


def _refused(text) -> None:
    with pytest.raises(ValidationException, match="^Invalid ShardIterator$"):
        iterators.decode(text, KEY)


def test_another_key_or_another_stream_is_refused():
    text = iterators.encode(TOKEN, ARN, KEY)
    with pytest.raises(ValidationException):
        iterators.decode(text, b"x" * 32)
    other = ARN.replace("orders", "orders2")
    _refused(other + text[len(ARN):])


def test_every_changed_character_is_refused(seed):
    rng = random.Random(seed)
    text = iterators.encode(TOKEN, ARN, KEY)
    blob_start = text.rindex("|") + 1
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(blob_start, len(text)):
        c = rng.choice([a for a in alphabet if a != text[i]])
        _refused(text[:i] + c + text[i + 1:])


@pytest.mark.parametrize("text", ["", "|", "||", f"{ARN}|2|AAAA", f"{ARN}|1|", f"{ARN}|1|!!!!", "x" * 3000, None, 5])
def test_garbage_is_refused(text):
    _refused(text)


def test_truncated_or_padded_tokens_are_refused():
    text = iterators.encode(TOKEN, ARN, KEY)
    for bad in (text[:-1], text[:-8], text + "A", text + "=", text + "==", text.replace("|1|", "|01|")):
        _refused(bad)
