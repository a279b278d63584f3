"""Where a signed PutItem's server time goes (not a benchmark: no baseline, no target): ``logstore serve`` with an
access key, raw_put_durable's clients (bench/server.py: 3 processes x 16 keep-alive connections, pre-signed
PutItems of new items), and the server process's CPU per request (utime + stime of all its threads, from
/proc/PID/stat, across the timed requests only) and, with ``--strace``, its futex calls per request
(``strace -f -c -e trace=futex`` attached for the timed requests), with ``--py-spy FILE``, a py-spy profile.

Usage: ``python bench/server_profile.py [--requests N] [--strace] [--py-spy out.txt] [--workers N]``.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time

from harness import RESULTS_DIR, temp_dir
from server import AKID, SECRET, Counter, create_table, raw_writes, server, wait_answering


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(re.search(r"pid=(\d+)", out).group(1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=15_000)
    p.add_argument("--strace", action="store_true")
    p.add_argument("--py-spy", dest="py_spy")
    p.add_argument("--workers", type=int, default=1)
    args = p.parse_args()
    with temp_dir(RESULTS_DIR) as d, server("ours", d, signed=True, workers=args.workers) as url:
        wait_answering(url)
        create_table(url, (AKID, SECRET))
        port = int(url.rsplit(":", 1)[1])
        pid = server_pid(port)
        counter = Counter()
        raw_writes(url, 1_500, counter, 1)()                   # warm-up
        tracer = None
        if args.strace:
            log = os.path.join(d, "strace.txt")
            tracer = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=futex", "-o", log, "-p", str(pid)],
                                      stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        elif args.py_spy:
            tracer = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "-p",
                                       str(pid), "-f", "raw", "-o", args.py_spy, "-r", "250", "--gil"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        cpu0 = cpu_seconds(pid)
        done, seconds = raw_writes(url, args.requests, counter, 1)()
        cpu = cpu_seconds(pid) - cpu0
        print(f"{done:,} PutItems in {seconds:.2f} s = {done / seconds:,.0f}/s; server CPU {cpu:.2f} s = "
              f"{cpu / done * 1e6:.0f} us per request")
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
