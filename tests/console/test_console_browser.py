"""The console in a real headless Chromium (Debian's ``chromium`` package, driven by Playwright; no browser
download) against a real ``logstore serve`` with a known history (a split and a rollover): every page loads, the
lineage graph shows the right parents and children, the live tail shows records written after the page opened
(also from shards created after it opened), an item edit made in the browser appears in the stream as old → new,
paging works, the keyboard reaches everything. Each page's screenshot is saved under ``$LOGSTORE_TEST_ARTIFACTS``
(default ``test-artifacts/``) in ``console/``.

Without Chromium (or Playwright) these tests skip, except when ``CI`` is set: there they fail, since
``dev/test`` installs both (dev/setup-system)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from consolehelpers import make_table, q

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("LOGSTORE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("LOGSTORE_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts")) / "console"
TIMEOUT_MS = 15_000


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (dev/setup-system installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if shutil.which(CHROMIUM) is None:
        _missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=FLAGS,
                                                       headless=True, viewport={"width": 1200, "height": 760},
                                                       timeout=60_000)
        context.set_default_timeout(TIMEOUT_MS)
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    page.close()
    assert not errors, errors   # no script error, no CSP violation


def expect(locator):
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(locator)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture
def history(server, ddb, streams):
    """A table of 30 items whose stream has been split once and rolled over once, with records in every shard
    generation; returns (table, stream ARN, shards as DescribeStream lists them)."""
    name, arn = make_table(ddb, items=30)
    first = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    server.admin("/logstore-admin/split-shard", {"StreamArn": arn, "ShardId": first})
    for i in range(6):
        ddb.update_item(TableName=name, Key={"pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)}},
                        UpdateExpression="SET n = n + :one", ExpressionAttributeValues={":one": {"N": "1"}})
    server.admin("/logstore-admin/advance-clock", {"Seconds": 5 * 3600})
    server.admin("/logstore-admin/maintain")
    ddb.put_item(TableName=name, Item={"pk": {"S": "after-rollover"}, "sk": {"N": "1"}})
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) == 5
    return name, arn, shards


def test_tables_items_and_paging(server, page, history):
    name, arn, _ = history
    base = server.url + "/console"
    page.goto(base + "/")
    assert page.locator(f'tr[data-table="{name}"]').is_visible()
    shot(page, "tables")
    page.click(f'tr[data-table="{name}"] th a')
    page.select_option('select[name="limit"]', "10")
    page.click('#query-form button[type="submit"]')
    page.wait_for_selector("#items")
    first = page.locator("#items tbody th a").all_inner_texts()
    assert len(first) == 10
    shot(page, "items")
    seen = list(first)
    while page.locator("#next-page").count():
        page.click("#next-page")
        page.wait_for_selector("#page-info")
        seen += page.locator("#items tbody th a").all_inner_texts()
    assert len(page.locator("#items tbody tr").all()) == 1     # 31 items: the 4th page holds one
    assert len(seen) == 31


def test_lineage_graph_shows_parents_and_children(server, page, history):
    name, arn, shards = history
    page.goto(server.url + f"/console/stream?arn={q(arn)}")
    graph = page.eval_on_selector_all("svg.lineage a.shard", "els => els.map(e => [e.dataset.shard, "
                                      "e.dataset.parent, e.dataset.children, e.classList.contains('open')])")
    edges = page.eval_on_selector_all("svg.lineage path.edge", "els => els.map(e => [e.dataset.from, e.dataset.to])")
    expected_parent = {s["ShardId"]: s.get("ParentShardId", "") for s in shards}
    open_ids = {s["ShardId"] for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]}
    assert {g[0]: g[1] for g in graph} == expected_parent
    assert {g[0] for g in graph if g[3]} == open_ids and len(open_ids) == 2
    for shard_id, _, children, _ in graph:
        assert set(children.split()) == {c for c, p in expected_parent.items() if p == shard_id}
    assert sorted(map(tuple, edges)) == sorted((p, c) for c, p in expected_parent.items() if p)
    order = [g[0] for g in graph]
    assert all(order.index(p) < order.index(c) for c, p in expected_parent.items() if p)   # parents above
    shot(page, "stream")
    page.emulate_media(color_scheme="dark")
    shot(page, "stream-dark")
    page.emulate_media(color_scheme="light")
    page.click(f'svg.lineage a.shard[data-shard="{shards[0]["ShardId"]}"]')
    page.wait_for_selector("#records")
    assert page.locator("#records tr.record").count() == 30


def test_live_tail_shows_new_records_and_follows_into_new_shards(server, page, ddb, streams, history):
    name, arn, _ = history
    page.goto(server.url + f"/console/stream/tail?arn={q(arn)}")
    expect(page.locator("#tail-status")).to_contain_text("following")   # (no wait_for_function: the CSP
    # forbids the eval it needs, as it should)
    ddb.put_item(TableName=name, Item={"pk": {"S": "tail-1"}, "sk": {"N": "1"}, "msg": {"S": "written later"}})
    page.wait_for_selector('#tail-rows tr[data-event="INSERT"] >> text=tail-1')
    # a split after the page opened: the tail follows the closed shard into its children
    open_shards = [s for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
                   if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    children = set()
    for s in open_shards:
        children |= {c["ShardId"] for c in server.admin("/logstore-admin/split-shard",
                                                        {"StreamArn": arn, "ShardId": s["ShardId"]})["Shards"]}
    for i in range(8):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"tail-after-split-{i}"}, "sk": {"N": "1"}})
    expect(page.locator("#tail-rows tr.record")).to_have_count(9)
    from_children = page.eval_on_selector_all("#tail-rows tr.record", "els => els.map(e => e.dataset.shard)")
    assert set(from_children[:8]) <= children and len(set(from_children[:8])) >= 2
    shown = page.eval_on_selector_all("#tail-rows tr.record", "els => els.map(e => e.dataset.seq)")
    assert shown == sorted(shown, reverse=True)          # newest at the top
    shot(page, "tail")
    page.click("#tail-toggle")
    assert page.get_attribute("#tail-toggle", "aria-pressed") == "true"


def test_item_edit_in_the_browser_appears_in_the_stream(server, page, ddb, streams, history):
    name, arn, _ = history
    key = {"pk": {"S": "p3"}, "sk": {"N": "3"}}
    page.goto(server.url + f"/console/tables/{name}/item?key={q(json.dumps(key))}")
    shot(page, "item")
    text = json.loads(page.input_value("#item-json"))
    assert text["n"] == {"N": "4"}                       # 3, plus the history's update
    text["n"] = {"N": "100"}
    text["colour"] = {"S": "teal"}
    page.fill("#item-json", json.dumps(text))
    page.click('#edit-form button[type="submit"]')
    page.wait_for_selector("#preview")
    assert ddb.get_item(TableName=name, Key=key)["Item"]["n"] == {"N": "4"}      # not before the confirmation
    assert page.locator("#preview tr.changed td.new").inner_text() == "100"
    shot(page, "confirm-edit")
    page.click('#confirm-form button[type="submit"]')
    page.wait_for_selector("#done")
    assert ddb.get_item(TableName=name, Key=key)["Item"]["colour"] == {"S": "teal"}
    shard = next(s["ShardId"] for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
                 if "EndingSequenceNumber" not in s["SequenceNumberRange"]
                 and any(r["dynamodb"]["Keys"] == key for r in _records(streams, arn, s["ShardId"])))
    page.goto(server.url + f"/console/stream/records?arn={q(arn)}&shard={q(shard)}&event=MODIFY&key=p3")
    row = page.locator("#records tr.record").last
    assert row.locator("tr.changed td.old").inner_text() == "4"
    assert row.locator("tr.changed td.new").inner_text() == "100"
    assert row.locator("tr.added td.new").inner_text() == '"teal"'
    shot(page, "records")


def _records(streams, arn, shard_id):
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    return streams.get_records(ShardIterator=it["ShardIterator"], Limit=1000)["Records"]


def test_delete_asks_first_and_store_page_checks(server, page, ddb, history):
    name, arn, _ = history
    key = {"pk": {"S": "p4"}, "sk": {"N": "4"}}
    page.goto(server.url + f"/console/tables/{name}/item?key={q(json.dumps(key))}")
    page.click("text=Delete…")
    page.wait_for_selector("#delete-form")
    assert "Item" in ddb.get_item(TableName=name, Key=key)     # asking is not deleting
    page.click('#delete-form button[type="submit"]')
    page.wait_for_selector("#done")
    assert "Item" not in ddb.get_item(TableName=name, Key=key)
    page.goto(server.url + "/console/store")
    page.click("#run-check")
    page.wait_for_selector("#check-verdict", timeout=120_000)
    assert page.inner_text("#check-verdict").startswith("No problems")
    shot(page, "store")


def test_keyboard_and_theme(server, page, history):
    page.goto(server.url + "/console/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    before = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.focus("#theme-toggle")
    page.keyboard.press("Enter")
    after = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert before != after and page.get_attribute("html", "data-theme") in ("dark", "light")
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == after    # remembered
    page.focus("#theme-toggle")
    page.keyboard.press("Enter")


def test_keyboard_alone_reaches_the_graph_the_records_and_the_tail(server, page, history):
    """Tab (no mouse, no focus() call) reaches a shard of the lineage graph, Enter opens its records; on the tail,
    Tab reaches Pause and Enter/Space toggle it, announced through aria-pressed."""
    name, arn, shards = history
    first = shards[0]["ShardId"]
    page.goto(server.url + f"/console/stream?arn={q(arn)}")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset ? document.activeElement.dataset.shard || '' : ''") == first:
            break
    else:
        raise AssertionError("Tab never reached the first shard of the lineage graph")
    label = "getComputedStyle(document.activeElement.querySelector('.shard-label')).fontWeight"
    assert page.evaluate(label) == "700"       # focus is visible: the row is filled, its label bold
    page.keyboard.press("Enter")
    page.wait_for_selector("#records")
    assert page.locator("#records tr.record").count() == 30
    page.goto(server.url + f"/console/stream/tail?arn={q(arn)}")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "tail-toggle":
            break
    else:
        raise AssertionError("Tab never reached the tail's Pause button")
    page.keyboard.press("Enter")
    assert page.get_attribute("#tail-toggle", "aria-pressed") == "true"
    assert page.inner_text("#tail-toggle") == "Resume"
    page.keyboard.press("Space")
    assert page.get_attribute("#tail-toggle", "aria-pressed") == "false"
