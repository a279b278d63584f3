"""ListStreams (spec §3.1): table filter, Limit bounds, pagination by ARN comparison, DISABLED streams, several streams
per table."""
from __future__ import annotations

import pytest

from apihelpers import START_LABEL, stream_arn
from logstore.errors import ValidationException


def test_empty_store_lists_no_streams(store):
    assert store.list_streams() == {"Streams": []}


def test_lists_a_stream_with_arn_table_and_label(api, store):
    arn = api.create_table("orders")
    assert arn == stream_arn("orders")
    assert store.list_streams() == {
        "Streams": [{"StreamArn": arn, "TableName": "orders", "StreamLabel": START_LABEL}]}


def test_table_without_stream_gives_empty_list(api, store):
    """Spec §3.1: table without stream -> {"Streams": []} (key present, empty)."""
    api.create_table("plain", view_type=None)
    api.create_table("other")
    assert store.list_streams(TableName="plain") == {"Streams": []}


def test_table_name_filter_is_applied(api, store):
    """localstack#8759: ListStreams ignored the TableName filter."""
    a = api.create_table("alpha")
    b = api.create_table("beta")
    api.create_table("gamma", view_type=None)
    assert [s["StreamArn"] for s in store.list_streams(TableName="alpha")["Streams"]] == [a]
    assert [s["StreamArn"] for s in store.list_streams(TableName="beta")["Streams"]] == [b]
    assert {s["StreamArn"] for s in store.list_streams()["Streams"]} == {a, b}
    assert all(s["TableName"] == "alpha" for s in store.list_streams(TableName="alpha")["Streams"])


@pytest.mark.parametrize("limit, message", [
    (0, "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"),
    (101, "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
          "Member must have value less than or equal to 100"),
    (100000, "1 validation error detected: Value '100000' at 'limit' failed to satisfy constraint: "
             "Member must have value less than or equal to 100"),
])
def test_limit_out_of_range_is_a_validation_error(api, store, limit, message):
    api.create_table("orders")
    with pytest.raises(ValidationException) as e:
        store.list_streams(Limit=limit)
    assert e.value.message == message


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_accepted(api, store, limit):
    arns = [api.create_table(f"table{i}") for i in range(3)]
    out = store.list_streams(Limit=limit)
    assert [s["StreamArn"] for s in out["Streams"]] == sorted(arns)[:limit]
    if limit == 1:
        assert out["LastEvaluatedStreamArn"] == out["Streams"][0]["StreamArn"]
    else:
        assert "LastEvaluatedStreamArn" not in out


def _pages(store, limit, between=None, **request):
    """Every stream listed by paging with ``limit``; ``between(page_no)`` runs between pages."""
    seen, start, page_no = [], None, 0
    while True:
        if start is not None:
            request["ExclusiveStartStreamArn"] = start
        out = store.list_streams(Limit=limit, **request)
        assert len(out["Streams"]) <= limit
        seen += [s["StreamArn"] for s in out["Streams"]]
        start = out.get("LastEvaluatedStreamArn")
        if start is None:
            return seen
        assert start == out["Streams"][-1]["StreamArn"]
        page_no += 1
        if between:
            between(page_no)
        assert page_no < 100


def test_pagination_lists_every_stream_once(api, store):
    arns = [api.create_table(f"table{i:02d}") for i in range(7)]
    assert sorted(_pages(store, 2)) == sorted(arns)
    assert len(_pages(store, 3)) == 7


def test_pagination_stays_correct_when_streams_are_created_between_pages(api, store, clock):
    """Spec §3.1 [rec]: resume strictly after ExclusiveStartStreamArn by comparison, so each pre-existing stream
    appears exactly once even when streams are created between pages."""
    before = [api.create_table(f"mid{i:02d}") for i in range(6)]
    created = []

    def create_more(page_no):
        clock.advance(1)
        created.append(api.create_table(f"aaa{page_no:02d}"))   # sorts before every pre-existing stream
        created.append(api.create_table(f"zzz{page_no:02d}"))   # sorts after
        created.append(api.create_table(f"mid{page_no:02d}x"))  # sorts among them

    seen = _pages(store, 2, between=create_more)
    for arn in before:
        assert seen.count(arn) == 1, arn
    assert len(seen) == len(set(seen))


def test_pagination_with_table_filter(api, store, clock):
    arns = [api.create_table("orders")]
    for _ in range(3):
        clock.advance(1000)
        api.disable("orders")
        clock.advance(1000)
        arns.append(api.enable("orders"))
    api.create_table("others")
    assert _pages(store, 1, TableName="orders") == sorted(arns)


@pytest.mark.parametrize("bad", [
    "not-an-arn",
    "arn:aws:dynamodb:us-east-1:000000000000:table/orders",                      # a table ARN
    "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/yesterday-noon",
    "arn:aws:s3:::bucket/table/orders/stream/2023-11-14T22:13:20.000",
])
def test_malformed_exclusive_start_stream_arn_is_a_validation_error(api, store, bad):
    api.create_table("orders")
    with pytest.raises(ValidationException):
        store.list_streams(ExclusiveStartStreamArn=bad)


def test_short_exclusive_start_stream_arn_gets_the_coral_message(store):
    with pytest.raises(ValidationException) as e:
        store.list_streams(ExclusiveStartStreamArn="not-an-arn")
    assert e.value.message == ("1 validation error detected: Value 'not-an-arn' at 'exclusiveStartStreamArn' failed "
                               "to satisfy constraint: Member must have length greater than or equal to 37")


def test_disabled_streams_are_still_listed(api, store, clock):
    """scylla#7239: a disabled stream stays listed (DISABLED) for 24 h."""
    arn = api.create_table("orders")
    clock.advance(1000)
    api.disable("orders")
    assert [s["StreamArn"] for s in store.list_streams()["Streams"]] == [arn]
    assert [s["StreamArn"] for s in store.list_streams(TableName="orders")["Streams"]] == [arn]


def test_stream_of_a_deleted_table_is_still_listed(api, store, clock):
    arn = api.create_table("orders")
    clock.advance(1000)
    store.delete_table(TableName="orders")
    assert store.list_streams(TableName="orders") == {
        "Streams": [{"StreamArn": arn, "TableName": "orders", "StreamLabel": START_LABEL}]}


def test_several_streams_per_table_after_disable_and_reenable(api, store, clock):
    first = api.create_table("orders")
    clock.advance(5000)
    api.disable("orders")
    clock.advance(5000)
    second = api.enable("orders", "KEYS_ONLY")
    assert first != second
    listed = store.list_streams(TableName="orders")["Streams"]
    assert sorted(s["StreamArn"] for s in listed) == sorted([first, second])
    assert {s["StreamLabel"] for s in listed} == {START_LABEL, "2023-11-14T22:13:30.000"}


def test_reenable_in_the_same_millisecond_gives_distinct_labels(api, store):
    """Spec §5 [rec]: if the label equals the table's previous label, bump 1 ms."""
    first = api.create_table("orders")
    api.disable("orders")
    second = api.enable("orders")
    assert first != second
    labels = sorted(s["StreamLabel"] for s in store.list_streams(TableName="orders")["Streams"])
    assert labels == [START_LABEL, "2023-11-14T22:13:20.001"]


def test_invalid_table_name_is_a_validation_error(store):
    with pytest.raises(ValidationException) as e:
        store.list_streams(TableName="a b")
    assert e.value.message == ("1 validation error detected: Value 'a b' at 'tableName' failed to satisfy "
                               "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


def test_wellformed_unknown_exclusive_start_resumes_by_comparison(api, store, clock):
    """Spec §3.1 [rec]: resume strictly after ExclusiveStartStreamArn by comparison (the stream it names may have
    expired between pages)."""
    a = api.create_table("aaa")
    c = api.create_table("ccc")
    gone = stream_arn("bbb")
    assert [s["StreamArn"] for s in store.list_streams(ExclusiveStartStreamArn=gone)["Streams"]] == [c]
    assert a < gone < c
