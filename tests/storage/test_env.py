"""The store environment: creation, the format-version check, read-only opening, map growth, durability mode."""
from __future__ import annotations

import gc
import threading

import lmdb
import pytest

from logstore.errors import FormatVersionError, NotAStoreError, ReadOnlyError, StoreInUseError
from logstore.storage import Counters, Environment, SegmentLog, keys


def test_new_store_records_its_format(store_path):
    with Environment(store_path) as env:
        with env.begin_read() as txn:
            assert keys.unpack_format(txn.get(keys.FORMAT_KEY, db=env.db("meta"))) == (b"logstore", 2)
    with Environment(store_path, readonly=True) as env:  # and reopens, read-only too
        assert env.readonly


def test_unknown_format_version_is_refused(store_path):
    Environment(store_path).close()
    raw = lmdb.open(str(store_path), max_dbs=4)
    with raw.begin(write=True) as txn:
        txn.put(keys.FORMAT_KEY, keys.pack_format(3), db=raw.open_db(b"meta", txn=txn))
    raw.close()
    for readonly in (False, True):
        with pytest.raises(FormatVersionError, match="format version 3.*reads format version 2 only"):
            Environment(store_path, readonly=readonly)
        with pytest.raises(FormatVersionError, match="format version 3"):   # nor upgraded
            Environment(store_path, readonly=readonly, for_upgrade=True)


def test_foreign_lmdb_environment_is_not_a_store(store_path):
    raw = lmdb.open(str(store_path))
    with raw.begin(write=True) as txn:
        txn.put(b"someone", b"else's")
    raw.close()
    with pytest.raises(NotAStoreError, match="not a logstore store"):
        Environment(store_path)
    with raw_reopen(store_path) as txn:  # and nothing was written to it
        assert list(txn.cursor()) == [(b"someone", b"else's")]


class raw_reopen:
    def __init__(self, path):
        self.env = lmdb.open(str(path), readonly=True)

    def __enter__(self):
        self.txn = self.env.begin()
        return self.txn

    def __exit__(self, *exc):
        self.txn.abort()
        self.env.close()


def test_missing_directory_read_only_is_a_clear_error(tmp_path):
    with pytest.raises(NotAStoreError, match="no data.mdb"):
        Environment(tmp_path / "nowhere", readonly=True)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(NotAStoreError, match="not a directory"):
        Environment(f)


def test_read_only_store_refuses_writes(store_path):
    Environment(store_path).close()
    with Environment(store_path, readonly=True) as env:
        with pytest.raises(ReadOnlyError):
            env.write(lambda txn: None)
        log = SegmentLog(env)   # databases that were never created read as empty
        with env.begin_read() as txn:
            assert list(log.shards(txn)) == [] and len(log.read(txn, 1, 0)) == 0


def test_map_grows_by_itself(store_path):
    with Environment(store_path, map_size=64 * 1024) as env:
        log = SegmentLog(env)
        start = env.map_size
        payload = b"p" * 1000
        for i in range(200):
            env.write(lambda txn, i=i: log.append(txn, 1, [i * 10 + j for j in range(10)], [0] * 10,
                                                  [payload] * 10))
        assert env.map_size > start
        with env.begin_read() as txn:
            assert len(log.read(txn, 1, 0, 10_000, 1 << 30)) == 2000


def test_map_growth_reruns_the_whole_transaction(store_path):
    """A transaction that fills the map is re-run from the start, so its effects land exactly once."""
    runs = []
    with Environment(store_path, map_size=64 * 1024) as env:
        counters, log = Counters(env), SegmentLog(env)

        def big(txn):
            runs.append(1)
            first = counters.allocate(txn, "seq", 300)
            log.append(txn, 1, range(first, first + 300), [0] * 300, [b"x" * 2000] * 300)

        env.write(big)
        assert len(runs) > 1
        with env.begin_read() as txn:
            assert counters.peek(txn, "seq") == 301
            assert log.read(txn, 1, 0, 1000, 1 << 30).seqs == list(range(1, 301))


def test_failed_write_changes_nothing(store_path):
    with Environment(store_path) as env:
        log = SegmentLog(env)
        env.write(lambda txn: log.append(txn, 1, [1], [0], [b"a"]))

        def half(txn):
            log.append(txn, 1, [2], [0], [b"b"])
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            env.write(half)
        with env.begin_read() as txn:
            assert log.read(txn, 1, 0).seqs == [1]


def test_not_durable_mode_still_commits_and_syncs(store_path):
    with Environment(store_path, durable=False) as env:
        log = SegmentLog(env)
        env.write(lambda txn: log.append(txn, 1, [1], [0], [b"a"]))
        env.sync()
    with Environment(store_path) as env, env.begin_read() as txn:
        assert SegmentLog(env).read(txn, 1, 0).seqs == [1]


def test_opening_an_open_store_again_is_a_clear_error(store_path):
    with Environment(store_path):
        with pytest.raises(StoreInUseError, match="already open in this process") as caught:
            Environment(store_path)
        assert caught.value.__context__ is None   # refused by our registry before LMDB was asked
        with pytest.raises(StoreInUseError):
            Environment(store_path, readonly=True)   # read-only too: LMDB allows one environment per process
    with Environment(store_path, readonly=True):      # closed: the claim is released
        pass


def test_the_same_directory_by_another_path_is_the_same_store(store_path, tmp_path, monkeypatch):
    link = tmp_path / "link"
    Environment(store_path).close()
    link.symlink_to(store_path, target_is_directory=True)
    monkeypatch.chdir(store_path.parent)
    with Environment(link):
        for other in (store_path, store_path.name, f"{store_path}/"):
            with pytest.raises(StoreInUseError, match="already open in this process"):
                Environment(other)


def test_an_environment_collected_unclosed_releases_its_directory(store_path):
    Environment(store_path)   # dropped without close(): LMDB's handle goes with it, and so does the claim
    gc.collect()
    Environment(store_path).close()


def test_of_concurrent_opens_of_one_store_exactly_one_wins(store_path):
    Environment(store_path).close()
    barrier, opened, refused = threading.Barrier(8), [], []

    def open_it():
        barrier.wait()
        try:
            opened.append(Environment(store_path))
        except StoreInUseError:
            refused.append(1)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(opened), len(refused)) == (1, 7)
    opened[0].close()


def test_a_failed_open_releases_its_claim(store_path):
    Environment(store_path).close()
    raw = lmdb.open(str(store_path), max_dbs=4)
    with raw.begin(write=True) as txn:
        txn.put(keys.FORMAT_KEY, b"garbage", db=raw.open_db(b"meta", txn=txn))
    raw.close()
    with pytest.raises(NotAStoreError):
        Environment(store_path)
    with pytest.raises(NotAStoreError):   # refused for what it is, not as still open
        Environment(store_path)


def test_threads_writing_together_are_committed_in_groups(store_path):
    """Eight threads writing in a loop: every write lands, and after the first commit they are carried in groups
    (a new leader gathers the callers of the last group instead of committing alone), so there are far fewer
    commits than writes."""
    import threading

    env = Environment(store_path)
    db = env.db("g")
    start = env.info()["last_txnid"]
    barrier = threading.Barrier(8)

    def run(t):
        barrier.wait()
        for n in range(40):
            env.write(lambda txn, t=t, n=n: txn.put(f"{t}-{n}".encode(), b"v", db=db))

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with env.begin_read() as txn:
        assert txn.stat(db)["entries"] == 320
    assert env.info()["last_txnid"] - start < 320
    env.close()


def test_a_lone_writer_after_a_group_waits_at_most_once(store_path):
    """A writer that finds the last commit carried a group, but nobody else writing, waits for the group at most
    as long as a commit took, commits alone, and the next write does not wait at all."""
    env = Environment(store_path)
    db = env.db("g")
    env._last_group = 8
    env.write(lambda txn: txn.put(b"a", b"1", db=db))
    assert env._last_group == 1 and not env._queue and not env._leading
    env.write(lambda txn: txn.put(b"b", b"2", db=db))
    with env.begin_read() as txn:
        assert txn.get(b"a", db=db) == b"1" and txn.get(b"b", db=db) == b"2"
    env.close()
