"""Where a signed PutItem's server time goes (not a benchmark: no baseline, no target): ``logstore serve`` with an
access key, raw_put_durable's clients (bench/server.py: 3 processes x 16 keep-alive connections, pre-signed PutItems
of new items), and the server process's CPU per request (utime + stime of all its threads, from /proc/PID/stat,
across the timed requests only; the kernel's part; the busiest threads' share of a core), LMDB commits per request
(the transaction counter), how long each worker's write transactions were open, LMDB's one write lock held (the
workers' own count at shutdown, ``Environment.write_stats``: the warm-up included), and, with ``--strace``, its
futex calls per request (``strace -f -c -e trace=futex`` attached for the timed requests); with ``--py-spy FILE`` a
py-spy profile of the thread holding the GIL (raw, collapsed stacks); with ``--perf FILE`` a ``perf record``.
``--stub`` measures the stub server (bench/stub_server.py) the same way: the HTTP stack's own cost.
``--one-client``: the requests come from one boto3 client's ``put_item`` loop (issue 13 row 5's client) instead,
and ``--stub`` is then the durable stub (row 5's baseline: one fsynced raw LMDB put per PutItem).

Usage: ``python bench/server_profile.py [--requests N] [--strace | --py-spy OUT | --perf OUT] [--workers N] [--stub]
[--one-client]``
(from bench/; py-spy is ``pip install py-spy``).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import time

from harness import RESULTS_DIR, temp_dir
from server import AKID, SECRET, Counter, client, create_table, item, raw_writes, server, wait_answering


def cpu_seconds(pid: int) -> float:
    return cpu_seconds_of(f"/proc/{pid}/stat")


def system_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[12]) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            out[int(tid)] = cpu_seconds_of(f"/proc/{pid}/task/{tid}/stat")
    return out


def cpu_seconds_of(path: str) -> float:
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def last_txnid(path: str) -> int:
    import lmdb
    env = lmdb.open(path, readonly=True, lock=True, max_dbs=64, subdir=True)
    try:
        return env.info()["last_txnid"]
    finally:
        env.close()


def server_pid(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(re.search(r"pid=(\d+)", out).group(1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=15_000)
    p.add_argument("--strace", action="store_true")
    p.add_argument("--py-spy", dest="py_spy")
    p.add_argument("--perf", help="perf record the server into this file")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--stub", action="store_true", help="profile the stub server instead (the HTTP stack's floor)")
    p.add_argument("--one-client", action="store_true", help="one boto3 client's put_item loop (issue 13 row 5)")
    args = p.parse_args()
    kind = ("durable-stub" if args.one_client else "stub") if args.stub else "ours"
    with temp_dir(RESULTS_DIR) as d:
        log_path = os.path.join(d, "server.log")
        with server(kind, d, signed=True, workers=args.workers, log_path=log_path) as url:
            profile(args, d, url)
        if not args.stub:
            for line in re.findall(r"worker \d+: \d+ (?:write transactions|single-item writes).*",
                                   open(log_path).read()):
                print(line)


def one_client(url: str, n: int, counter: Counter):
    """Row 5's client: one boto3 client's put_item loop, ``run()`` -> (requests, seconds)."""
    ddb = client("dynamodb", url, (AKID, SECRET))
    ddb.list_tables()                                     # connection and client set-up outside the timing

    def run():
        keys = counter.take(n)
        started = time.perf_counter()
        for i in keys:
            ddb.put_item(TableName="bench", Item=item(i))
        return n, time.perf_counter() - started
    return run


def profile(args, d: str, url: str) -> None:
    """The timed requests against the server at ``url`` (its store under ``d``), their figures printed."""
    wait_answering(url)
    if not args.stub:
        create_table(url, (AKID, SECRET))
    port = int(url.rsplit(":", 1)[1])
    pid = server_pid(port)
    counter = Counter()
    writes = one_client if args.one_client else lambda url, n, counter: raw_writes(url, n, counter, 1)
    writes(url, 1_500, counter)()                          # warm-up
    tracer = None
    if args.strace:
        log = os.path.join(d, "strace.txt")
        tracer = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=futex", "-o", log, "-p", str(pid)],
                                  stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    elif args.perf:
        tracer = subprocess.Popen(["perf", "record", "-q", "-o", args.perf, "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    elif args.py_spy:
        tracer = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "-p",
                                   str(pid), "-f", "raw", "-o", args.py_spy, "-r", "250", "--gil"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    cpu0, sys0, threads0 = cpu_seconds(pid), system_seconds(pid), thread_cpu(pid)
    txn0 = 0 if args.stub else last_txnid(os.path.join(d, "store"))
    done, seconds = writes(url, args.requests, counter)()
    cpu, kernel = cpu_seconds(pid) - cpu0, system_seconds(pid) - sys0
    commits = 0 if args.stub else last_txnid(os.path.join(d, "store")) - txn0
    busy = sorted(((t - threads0.get(tid, 0.0)) for tid, t in thread_cpu(pid).items()), reverse=True)
    print(f"{done:,} PutItems in {seconds:.2f} s = {done / seconds:,.0f}/s; server CPU {cpu:.2f} s = "
          f"{cpu / done * 1e6:.0f} us per request ({kernel / done * 1e6:.0f} of it in the kernel); "
          f"{commits:,} commits ({done / max(commits, 1):.1f} requests each); busiest threads' CPU share: "
          f"{', '.join(f'{b / seconds:.2f}' for b in busy[:4])}")
    if tracer is not None:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(60)
    if args.strace:
        text = open(log).read()
        m = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+)?\s*futex", text, re.M)
        print(text)
        if m:
            print(f"futex calls per request: {int(m.group(1)) / done:.1f}")


if __name__ == "__main__":
    main()
