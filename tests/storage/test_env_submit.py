"""Environment.submit: writes committed by the committer thread, in groups, each answered after its commit."""
from __future__ import annotations

import threading

import pytest

from logstore.errors import ReadOnlyError, StorageError
from logstore.storage import Environment


class Answers:
    """Collects submit's callbacks; ``wait(n)`` until n arrived."""

    def __init__(self, env: Environment | None = None, db=None):
        self.env, self.db = env, db
        self.got: list[tuple[object, BaseException | None, bool]] = []
        self.cond = threading.Condition()

    def done(self, key: bytes | None = None):
        def callback(result, error):
            visible = None
            if key is not None and self.env is not None:   # answered only once committed: a new reader sees it
                with self.env.begin_read() as txn:
                    visible = txn.get(key, db=self.db) is not None
            with self.cond:
                self.got.append((result, error, visible))
                self.cond.notify_all()
        return callback

    def wait(self, n: int) -> list:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.got) >= n, timeout=30)
            return list(self.got)


def test_each_submitted_write_is_answered_after_its_commit(store_path):
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers(env, db)
    for n in range(50):
        key = f"k{n}".encode()
        env.submit(lambda txn, key=key: txn.put(key, b"v", db=db) and key, answers.done(key))
    got = answers.wait(50)
    assert [r for r, _, _ in got] == [f"k{n}".encode() for n in range(50)]   # in submission order
    assert all(error is None and visible for _, error, visible in got)
    env.close()


def test_a_group_commits_once_and_one_failure_stays_its_own(store_path):
    """Writes submitted while the committer is busy form one group: one commit; the one that raises is rolled
    back alone (nothing of it written) and gets its own error; the others succeed."""
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers(env, db)
    release = threading.Event()
    env.submit(lambda txn: release.wait(30) and txn.put(b"first", b"v", db=db), answers.done())
    before = None
    while before is None:   # the committer has taken the first write alone and is inside its transaction
        with env._submit_cond:
            if not env._submitted:
                before = env.info()["last_txnid"]

    def failing(txn):
        txn.put(b"half", b"v", db=db)
        raise ValueError("refused")
    for n in range(10):
        if n == 4:
            env.submit(failing, answers.done())
        else:
            env.submit(lambda txn, n=n: txn.put(f"k{n}".encode(), b"v", db=db), answers.done())
    release.set()
    got = answers.wait(11)
    assert env.info()["last_txnid"] - before == 2     # the first write's commit, then one for the group of ten
    errors = [error for _, error, _ in got]
    assert isinstance(errors[5], ValueError) and str(errors[5]) == "refused"
    assert all(e is None for i, e in enumerate(errors) if i != 5)
    with env.begin_read() as txn:
        assert txn.get(b"half", db=db) is None and txn.get(b"first", db=db) == b"v"
        assert all(txn.get(f"k{n}".encode(), db=db) == b"v" for n in range(10) if n != 4)
    env.close()


def test_a_lone_failing_write_changes_nothing(store_path):
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers()

    def failing(txn):
        txn.put(b"x", b"v", db=db)
        raise KeyError("no")
    env.submit(failing, answers.done())
    [(result, error, _)] = answers.wait(1)
    assert result is None and isinstance(error, KeyError)
    with env.begin_read() as txn:
        assert txn.get(b"x", db=db) is None
    env.close()


def test_close_commits_what_was_submitted_first(store_path):
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers()
    for n in range(200):
        env.submit(lambda txn, n=n: txn.put(f"k{n}".encode(), b"v", db=db), answers.done())
    env.close()
    assert len(answers.got) == 200 and all(e is None for _, e, _ in answers.got)
    with pytest.raises(StorageError):
        env.submit(lambda txn: None, answers.done())
    env = Environment(store_path)
    db = env.db("s")
    with env.begin_read() as txn:
        assert txn.stat(db)["entries"] == 200
    env.close()


def test_submitted_writes_meet_threads_writing_and_a_growing_map(store_path):
    """Submitted writes and threads calling write at once, in a map that has to grow several times (each grown
    transaction run again from the start): every write lands once."""
    env = Environment(store_path, map_size=1 << 20)
    db = env.db("s")
    answers = Answers()
    value = b"x" * 3000

    def writer(t):
        for n in range(60):
            env.write(lambda txn, n=n: txn.put(f"w{t}-{n}".encode(), value, db=db))
    threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for n in range(600):
        env.submit(lambda txn, n=n: txn.put(f"s{n}".encode(), value, db=db), answers.done())
    for t in threads:
        t.join()
    got = answers.wait(600)
    assert all(e is None for _, e, _ in got)
    with env.begin_read() as txn:
        assert txn.stat(db)["entries"] == 600 + 180
    assert env.map_size > 1 << 20
    env.close()


def test_a_read_only_store_refuses_submit(store_path):
    Environment(store_path).close()
    env = Environment(store_path, readonly=True)
    with pytest.raises(ReadOnlyError):
        env.submit(lambda txn: None, lambda result, error: None)
    env.close()


def _hold_committer(env: Environment, db, answers: Answers) -> tuple[threading.Event, int]:
    """Submit a first write that waits for the returned event, so that what is submitted next forms one group;
    returns the event and the transaction id before that group."""
    release = threading.Event()
    env.submit(lambda txn: release.wait(30) and txn.put(b"first", b"v", db=db), answers.done())
    while True:   # the committer has taken the first write alone and is inside its transaction
        with env._submit_cond:
            if not env._submitted:
                return release, env.info()["last_txnid"]


class Finisher:
    """A write's second part (``Environment.write``'s ``finish``): records each call's staged values, writes
    them under b"finished:<call>" and answers each with ``("done", value)``; ``refuse`` makes a call fail."""

    def __init__(self, db, refuse=lambda staged: False):
        self.db, self.refuse, self.calls = db, refuse, []

    def __call__(self, txn, staged):
        self.calls.append(list(staged))
        txn.put(f"finished:{len(self.calls)}".encode(), repr(staged).encode(), db=self.db)
        if self.refuse(staged):
            raise ValueError(f"finish refused {staged}")
        return [("done", value) for value in staged]


def test_a_group_sharing_a_finish_stages_each_and_finishes_once_in_order(store_path):
    """A run of consecutive writes with the same finish: each fn in its own nested transaction (one that raises
    is rolled back alone and left out), then one finish for those that staged, in submission order; a write
    without it between two runs splits them, and the second run's finish sees what it wrote."""
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers(env, db)
    finish = Finisher(db)
    release, before = _hold_committer(env, db, answers)

    def stage(n):
        def fn(txn):
            txn.put(f"k{n}".encode(), b"v", db=db)
            if n == 2:
                raise ValueError("refused")
            return n
        return fn
    for n in range(4):
        env.submit(stage(n), answers.done(), finish)
    env.submit(lambda txn: txn.put(b"between", b"v", db=db) and "plain", answers.done())
    for n in range(4, 7):
        env.submit(stage(n), answers.done(), finish)
    release.set()
    got = answers.wait(9)
    assert env.info()["last_txnid"] - before == 2     # the first write's commit, then one for the group
    assert finish.calls == [[0, 1, 3], [4, 5, 6]]
    results = [(r, type(e).__name__ if e else None) for r, e, _ in got[1:]]
    assert results == [(("done", 0), None), (("done", 1), None), (None, "ValueError"), (("done", 3), None),
                       ("plain", None), (("done", 4), None), (("done", 5), None), (("done", 6), None)]
    with env.begin_read() as txn:
        assert txn.get(b"k2", db=db) is None           # the refused stage left nothing
        assert all(txn.get(f"k{n}".encode(), db=db) == b"v" for n in (0, 1, 3, 4, 5, 6))
        assert txn.get(b"finished:1", db=db) == b"[0, 1, 3]" and txn.get(b"finished:2", db=db) == b"[4, 5, 6]"
    env.close()


def test_a_finish_that_fails_for_the_group_runs_each_write_alone(store_path):
    """If the shared finish raises, nothing of the run stays and each write is staged and finished alone, in a
    nested transaction of its own: each gets the answer it would have had without the group."""
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers(env, db)
    finish = Finisher(db, refuse=lambda staged: len(staged) > 1 or staged == [3])
    release, _ = _hold_committer(env, db, answers)
    for n in range(5):
        env.submit(lambda txn, n=n: txn.put(f"k{n}".encode(), b"v", db=db) and n, answers.done(), finish)
    release.set()
    got = answers.wait(6)
    assert finish.calls == [[0, 1, 2, 3, 4], [0], [1], [2], [3], [4]]
    errors = [str(e) if e else None for _, e, _ in got[1:]]
    assert errors == [None, None, None, "finish refused [3]", None]
    assert [r for r, _, _ in got[1:]] == [("done", 0), ("done", 1), ("done", 2), None, ("done", 4)]
    with env.begin_read() as txn:
        assert txn.get(b"k3", db=db) is None and all(txn.get(f"k{n}".encode(), db=db) for n in (0, 1, 2, 4))
        # each alone wrote finished:<its call>; the group's finished:1 was rolled back with the run
        assert txn.get(b"finished:1", db=db) is None and txn.get(b"finished:5", db=db) is None
        assert [txn.get(f"finished:{c}".encode(), db=db) for c in (2, 3, 4, 6)] == [b"[0]", b"[1]", b"[2]", b"[4]"]
    env.close()


def test_a_write_alone_with_a_finish_returns_what_finish_answered(store_path):
    env = Environment(store_path)
    db = env.db("s")
    finish = Finisher(db)
    assert env.write(lambda txn: txn.put(b"k", b"v", db=db) and 7, finish) == ("done", 7)
    with pytest.raises(ValueError, match=r"finish refused \[8\]"):
        env.write(lambda txn: txn.put(b"j", b"v", db=db) and 8, Finisher(db, refuse=lambda staged: True))
    with env.begin_read() as txn:
        assert txn.get(b"k", db=db) == b"v" and txn.get(b"j", db=db) is None   # a failed finish: nothing written
    env.close()


def test_prepare_runs_outside_the_write_lock_and_feeds_the_write(store_path):
    """``prepare`` runs before the group's transaction begins: another thread's write completes while it runs
    (LMDB's write lock is free), and ``fn`` gets what it returned."""
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers(env, db)
    elsewhere: list[bool] = []

    def prepare():
        other = threading.Thread(target=lambda: env.write(lambda txn: txn.put(b"other", b"v", db=db)))
        other.start()
        other.join(10)
        elsewhere.append(not other.is_alive())
        return b"prepared"
    env.submit(lambda txn, value: txn.put(b"mine", value, db=db) and value, answers.done(b"mine"), prepare=prepare)
    [(result, error, visible)] = answers.wait(1)
    assert elsewhere == [True]
    assert (result, error, visible) == (b"prepared", None, True)
    with env.begin_read() as txn:
        assert txn.get(b"mine", db=db) == b"prepared" and txn.get(b"other", db=db) == b"v"
    env.close()


def test_a_prepare_that_raises_is_its_writes_error_and_the_group_goes_on(store_path):
    """In a group, a write whose ``prepare`` raised gets that error, in its turn, and nothing of it is written;
    the others (with and without a prepare) commit in one transaction."""
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers(env, db)
    release = threading.Event()
    env.submit(lambda txn: release.wait(30) and txn.put(b"first", b"v", db=db), answers.done())
    while True:   # the committer has taken the first write alone and is inside its transaction
        with env._submit_cond:
            if not env._submitted:
                before = env.info()["last_txnid"]
                break
    ran: list[int] = []

    def refused():
        raise ValueError("invalid item")
    for n in range(6):
        key = f"k{n}".encode()
        if n == 2:
            env.submit(lambda txn, value: ran.append(n), answers.done(), prepare=refused)
        elif n % 2:
            env.submit(lambda txn, value, key=key: txn.put(key, value, db=db) and key, answers.done(),
                       prepare=lambda n=n: f"v{n}".encode())
        else:
            env.submit(lambda txn, key=key: txn.put(key, b"plain", db=db) and key, answers.done())
    release.set()
    got = answers.wait(7)
    assert env.info()["last_txnid"] - before == 2     # the first write's commit, then one for the group
    assert not ran
    assert isinstance(got[3][1], ValueError) and got[3][0] is None
    assert [r for r, e, _ in got[1:]] == [b"k0", b"k1", None, b"k3", b"k4", b"k5"]
    with env.begin_read() as txn:
        assert txn.get(b"k2", db=db) is None
        assert [txn.get(f"k{n}".encode(), db=db) for n in (0, 1, 3, 4, 5)] == \
            [b"plain", b"v1", b"v3", b"plain", b"v5"]
    env.close()


def test_write_stats_count_committed_transactions_and_how_long_they_were_open(store_path):
    """One per committed transaction (a group commit is one; a write that raised is none), open at least as long
    as its commit took, both growing."""
    env = Environment(store_path)
    db = env.db("s")
    start = env.write_stats()
    env.write(lambda txn: txn.put(b"a", b"v", db=db))

    def refused(txn):
        txn.put(b"b", b"v", db=db)
        raise ValueError("no")
    with pytest.raises(ValueError):
        env.write(refused)
    one = env.write_stats()
    assert one.transactions == start.transactions + 1
    assert one.held_s - start.held_s >= one.commit_s - start.commit_s > 0
    answers = Answers()
    release = threading.Event()
    env.submit(lambda txn: release.wait(30) and txn.put(b"first", b"v", db=db), answers.done())
    while True:   # the committer is inside the first write's transaction: the next five form one group
        with env._submit_cond:
            if not env._submitted:
                break
    for n in range(5):
        env.submit(lambda txn, n=n: txn.put(f"k{n}".encode(), b"v", db=db), answers.done())
    release.set()
    answers.wait(6)
    two = env.write_stats()
    assert two.transactions == one.transactions + 2
    assert two.held_s - one.held_s >= two.commit_s - one.commit_s > 0
    env.close()


def _waiter(env: Environment) -> tuple[threading.Thread, threading.Event]:
    """A thread calling ``env.wait_for_staging()``, and the event it sets once that returned."""
    returned = threading.Event()

    def run():
        env.wait_for_staging()
        returned.set()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, returned


def test_wait_for_staging_waits_while_the_committer_stages(store_path):
    """While a submitted write runs in the committer's transaction, wait_for_staging blocks; it returns when the
    staging ends (before the commit's answer, which may come later), and at once when nothing is staged."""
    env = Environment(store_path)
    db = env.db("s")
    answers = Answers(env, db)
    _, idle = _waiter(env)
    assert idle.wait(10)                      # nothing submitted yet: at once
    inside, release = threading.Event(), threading.Event()

    def staged(txn):
        inside.set()
        assert release.wait(30)
        return txn.put(b"k", b"v", db=db)
    env.submit(staged, answers.done(b"k"))
    assert inside.wait(10)
    thread, returned = _waiter(env)
    assert not returned.wait(0.3)             # the committer is staging: the waiter waits
    release.set()
    assert returned.wait(10)
    thread.join(10)
    assert answers.wait(1) == [(True, None, True)]
    _, after = _waiter(env)
    assert after.wait(10)                     # staged and committed: at once again
    env.close()


def test_wait_for_staging_does_not_wait_for_other_threads_writes(store_path):
    """Only the committer's staging is waited for: a write of another thread (a pool thread's BatchWriteItem, the
    maintenance thread's trim) may run long, and the thread taking up requests must not stall behind it."""
    env = Environment(store_path)
    db = env.db("s")
    inside, release = threading.Event(), threading.Event()

    def long_write(txn):
        inside.set()
        assert release.wait(30)
        txn.put(b"k", b"v", db=db)
    writer = threading.Thread(target=env.write, args=(long_write,), daemon=True)
    writer.start()
    assert inside.wait(10)
    _, returned = _waiter(env)
    assert returned.wait(10)
    release.set()
    writer.join(10)
    env.close()
