"""``logstore records``: every record in the Streams wire shape (equal to what GetRecords returns) or the Lambda
shape, in commit order; each filter; readable lines; ``--follow`` picking up records as they are committed, into
new shards, also from another real process writing (with a split mid-run)."""
from __future__ import annotations

import json

import logstore
from clihelpers import START_MS, json_lines, run
from liveprocs import Proc
from logstore.cli.common import to_json


def api_records(path) -> dict[str, dict]:
    """Every record of every stream as GetRecords returns it (JSON-level, B as base64), by sequence number."""
    out = {}
    with logstore.open(path, readonly=True) as store:
        for s in store.list_streams()["Streams"]:
            arn = s["StreamArn"]
            for shard in store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                it = store.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                while it:
                    page = store.get_records(ShardIterator=it, Limit=1000)
                    for r in page["Records"]:
                        out[r["dynamodb"]["SequenceNumber"]] = json.loads(to_json(r))
                    if not page["Records"]:
                        break
                    it = page.get("NextShardIterator")
    return out


def seqs(records: list[dict]) -> list[int]:
    return [int(r["dynamodb"]["SequenceNumber"]) for r in records]


def test_records_equal_get_records_and_come_in_commit_order(built):
    got = json_lines(run("records", built.path, "--json").stdout)
    expected = api_records(built.path)
    assert len(got) == len(expected) == 95
    assert seqs(got) == sorted(seqs(got))
    assert {r["dynamodb"]["SequenceNumber"]: r for r in got} == expected


def test_lambda_shape(built):
    got = json_lines(run("records", built.path, "--json", "--shape", "lambda", "--table", "orders").stdout)
    assert len(got) == 7
    assert all(r["eventSourceARN"] == built.orders_arn for r in got)
    assert all(set(r["dynamodb"]) >= {"Keys", "SequenceNumber", "SizeBytes", "StreamViewType"} for r in got)


def test_filters(built):
    def count(*args):
        return len(json_lines(run("records", built.path, "--json", *args).stdout))

    assert count("--table", "users") == 85
    assert count("--stream", built.old_arn) == 3
    assert count("--event", "REMOVE") == 6
    assert count("--event", "remove", "--event", "INSERT", "--table", "users") == 45
    assert count("--table", "users", "--key", "pk=user-7") == 2
    assert count("--table", "orders", "--key", "pk=cust-1", "--key", "sk=3") == 1
    assert count("--table", "orders", "--key", "sk=3.0") == 1     # numbers compare by value
    assert count("--shard", built.parent_shard) == 40
    assert count("--shard", built.child_shards[0]) + count("--shard", built.child_shards[1]) == 45
    everything = json_lines(run("records", built.path, "--json").stdout)
    s = seqs(everything)
    assert seqs(json_lines(run("records", built.path, "--json", "--from-seq", s[10], "--to-seq",
                               everything[20]["dynamodb"]["SequenceNumber"]).stdout)) == s[10:21]
    # time: the first user write is at START + 1 s, one write per second
    assert count("--table", "users", "--since", START_MS + 1000, "--until", "2023-11-14T22:13:25.000Z") == 5
    assert count("--limit", 7) == 7


def test_bad_filters_are_clear_errors(built):
    assert "no such shard" in run("records", built.path, "--shard", "shardId-x", ok_codes=(2,)).output
    assert "not a time" in run("records", built.path, "--since", "yesterday-ish", ok_codes=(2,)).output
    assert "not a sequence number" in run("records", built.path, "--from-seq", "abc", ok_codes=(2,)).output
    assert "NAME=VALUE" in run("records", built.path, "--key", "pk", ok_codes=(2,)).output
    assert "no stream matches" in run("records", built.path, "--stream", "nope", ok_codes=(2,)).output
    # beyond any sequence number (was: "unexpected error: int too large to convert")
    assert "not a sequence number: '99999999999999999999999999' (the 21-digit wire form, or an integer from 0 to " \
        "18446744073709551615)" in run("records", built.path, "--from-seq", "9" * 26, ok_codes=(2,)).output
    # a negative --limit printed nothing and exited 0; a negative --interval was an unexpected ValueError
    assert "Invalid value for '--limit'" in run("records", built.path, "--limit", "-1", ok_codes=(2,)).output
    assert "Invalid value for '--interval'" in run("records", built.path, "--follow", "--interval", "-1",
                                                   ok_codes=(2,)).output


def test_records_for_people(built):
    lines = run("records", built.path, "--table", "users", "--key", "pk=user-3").stdout.splitlines()
    assert len(lines) == 3
    assert "INSERT" in lines[0] and "MODIFY" in lines[1] and "REMOVE" in lines[2]
    assert all("pk=user-3" in line for line in lines)
    assert lines[0].startswith("2023-11-14T22:13:")


def test_follow_stops_after_limit_in_process(built):
    got = json_lines(run("records", built.path, "--json", "--follow", "--limit", 95, "--interval", 0.01).stdout)
    assert len(got) == 95 and seqs(got) == sorted(seqs(got))


def test_follow_tails_another_process_writing_into_new_shards(tmp_path):
    path = tmp_path / "store"
    items = 150
    with Proc.writer(path, "--table", "live", "--items", 1, "--pause-ms", 0, workdir=tmp_path) as setup:
        setup.expect("DONE")    # the table and its stream exist (and one record)
    with Proc.logstore("records", path, "--table", "live", "--follow", "--json", "--interval", 0.05,
                       workdir=tmp_path) as follower:
        follower.wait_for(lambda lines: len(lines) >= 1)
        with Proc.writer(path, "--table", "live", "--items", items, "--split-at", 50, "--pause-ms", 3,
                         workdir=tmp_path) as writer:
            writer.expect("DONE", timeout=120)
            assert writer.wait() == 0, writer.stderr()
        # the writer's first put repeats the setup's item-0 exactly: no record (a no-op)
        follower.wait_for(lambda lines: len(lines) >= items, timeout=60)
        assert follower.interrupt() == 0, follower.stderr()
    got = [json.loads(line) for line in follower.lines]
    assert len(got) == items, got[-3:]
    assert seqs(got) == sorted(set(seqs(got)))          # commit order, no duplicates
    assert [r["eventName"] for r in got] == ["INSERT"] * items
    expected = api_records(path)
    assert {r["dynamodb"]["SequenceNumber"]: r for r in got} == expected   # every record, split or not
    with logstore.open(path, readonly=True) as store:
        arn = store.list_streams(TableName="live")["Streams"][0]["StreamArn"]
        assert len(store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]) == 3


def test_a_damaged_segment_is_a_clear_error_not_a_wrong_record(built):
    from clihelpers import Raw
    with Raw(built.path) as raw:
        key, value = raw.items("segments")[0]
        raw.put("segments", key, value[:-1] + bytes([value[-1] ^ 0xFF]))
    result = run("records", built.path, "--json", ok_codes=(2,))
    assert "corrupt segment: shard 1, segment" in result.stderr and "logstore check" in result.stderr
    assert "Traceback" not in result.stderr


def test_follow_latest_prints_only_new_records(tmp_path):
    path = tmp_path / "store"
    with Proc.writer(path, "--table", "live", "--items", 20, "--pause-ms", 0, workdir=tmp_path) as setup:
        setup.expect("DONE")
    with Proc.logstore("records", path, "--follow", "--latest", "--json", "--interval", 0.05,
                       workdir=tmp_path) as follower:
        import time
        time.sleep(1.0)   # let it take its first look, at the 20 records already there
        assert follower.lines == []
        with Proc.writer(path, "--table", "live", "--items", 25, "--rounds", 1, "--pause-ms", 0,
                         workdir=tmp_path) as writer:
            writer.expect("DONE")   # items 0..19 are identical: no records; 20..24 are new
        follower.wait_for(lambda lines: len(lines) >= 5, timeout=60)
        time.sleep(0.3)
        assert follower.interrupt() == 0
    got = [json.loads(line) for line in follower.lines]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in got] == [f"item-{i}" for i in range(20, 25)]


def test_a_reader_that_goes_away_ends_it_quietly(tmp_path):
    """``logstore records PATH | head -1``: status 0 and nothing on standard error, for both outputs. The output
    (~600 KB) is larger than a pipe holds, so the command does meet the closed pipe."""
    import subprocess
    import sys
    from clihelpers import create
    path = tmp_path / "store"
    with logstore.open(path, durable=False) as store:
        create(store, "big", "NEW_IMAGE")
        with store.batch() as batch:
            for i in range(2000):
                batch.put_item(TableName="big", Item={"pk": {"S": f"k{i}"}, "text": {"S": "t" * 200}})
    for extra in ([], ["--json"]):
        proc = subprocess.Popen([sys.executable, "-m", "logstore", "records", str(path), *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        assert proc.stdout.readline()
        proc.stdout.close()          # like head, after one line
        err = proc.stderr.read()
        assert proc.wait(timeout=30) == 0 and err == b"", (extra, err)
