"""A stream of 1,008 shards in the console: the Stream page shows one page of 100 shards at a time in lineage
order (parents above children, each tree whole across pages), its pager reaches every shard exactly once, and the
graph draws only that page. Built through the engine with a fake clock (16 partitions rolled over 62 times), served
by the read-only ``logstore console``. How long the page takes is measured in bench/console.py, not here."""
from __future__ import annotations

import re
import time

import logstore
from consolehelpers import Browser, ConsoleProcess, q
from logstore.api import StreamPolicy
from logstore.clock import FakeClock

PARTITIONS, ROLLS = 16, 62


def build(path) -> str:
    clock = FakeClock()
    policy = StreamPolicy(initial_partitions=PARTITIONS, max_partitions=PARTITIONS, rollover_ms=1000,
                          split_rate=None)
    with logstore.open(path, clock=clock, durable=False, stream_policy=policy) as s:
        s.create_table(TableName="wide", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        for roll in range(ROLLS):
            with s.batch() as b:
                for i in range(32):
                    b.put_item(TableName="wide", Item={"pk": {"S": f"k{roll}-{i}"}})
            clock.advance(1000)
            s.maintain()
        return s.list_streams(TableName="wide")["Streams"][0]["StreamArn"]


def test_a_thousand_shards_page_by_page(tmp_path):
    arn = build(tmp_path / "store")
    total = PARTITIONS * (ROLLS + 1)
    with ConsoleProcess(tmp_path / "store", tmp_path / "console.log") as console:
        b = Browser(console.url.rstrip("/"))
        seen, parents, records = [], {}, 0
        page, pages = 1, None
        while True:
            start = time.perf_counter()
            r = b.get(f"/stream?arn={q(arn)}&page={page}")
            print(f"page {page}: {(time.perf_counter() - start) * 1000:.1f} ms, {len(r.content)} bytes")
            assert r.status_code == 200
            pages = int(re.search(r"page \d+ of (\d+)", r.text).group(1))
            drawn = re.findall(r'data-shard="([^"]+)" data-parent="([^"]*)" data-children="[^"]*" '
                               r'data-records="(\d+)"', r.text)
            assert len(drawn) == (100 if page < pages else total - 100 * (pages - 1))
            on_page = {sid for sid, _, _ in drawn}
            for sid, parent, n in drawn:
                parents[sid] = parent
                records += int(n)
                if parent in on_page:   # a parent on the same page is drawn above its child, joined by an edge
                    assert [s for s, _, _ in drawn].index(parent) < [s for s, _, _ in drawn].index(sid)
            edges = re.findall(r'class="edge" data-from="([^"]+)" data-to="([^"]+)"', r.text)
            assert all(a in on_page and c in on_page for a, c in edges)
            assert len(edges) == sum(1 for _, p, _ in drawn if p in on_page)
            seen += [sid for sid, _, _ in drawn]
            if page == pages:
                break
            page += 1
        assert pages == 11 and len(seen) == total == len(set(seen))
        assert records == 32 * ROLLS
        roots = [s for s, p in parents.items() if not p]
        assert len(roots) == PARTITIONS
        # lineage order: every shard comes after its parent, across pages too
        assert all(seen.index(p) < seen.index(s) for s, p in parents.items() if p)
        assert re.search(rf'id="shard-count">{total} \({PARTITIONS} open\)', r.text)
        assert b.get(f"/stream?arn={q(arn)}&page=999").status_code == 200      # clamped to the last page
        assert b.get(f"/stream?arn={q(arn)}&page=0").status_code == 400
        assert b.get("/store").status_code == 200
