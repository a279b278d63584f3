"""The console's pages over HTTP against a real ``logstore serve``: every page answers with the store's data,
paging walks a table exactly once, writes go through the engine (and so appear in the stream), need the form's
CSRF token, and bad input is a 400 page saying what was wrong, changing nothing."""
from __future__ import annotations

import json
import re

from consolehelpers import Browser, make_table, q
from serverhelpers import read_shard


def item_link_keys(page: str) -> list[str]:
    return [m for m in re.findall(r'/item\?key=([^"&]+)"', page)]


def test_tables_page_lists_the_table_and_its_stream(server, ddb):
    name, arn = make_table(ddb, items=3)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    b = Browser(server.url + "/console")
    r = b.get("/")
    assert r.status_code == 200
    row = re.search(rf'<tr data-table="{re.escape(name)}">(.*?)</tr>', r.text, re.S).group(1)
    assert "NEW_AND_OLD_IMAGES" in row and "<code>exp</code>" in row and ">3</td>" in row
    assert q(arn) in row
    assert "content-security-policy" in r.headers and r.headers["x-frame-options"] == "DENY"


def test_console_root_redirects_and_static_files_are_served(server):
    b = Browser(server.url + "/console")
    r = requests_get(server.url + "/console")
    assert r.status_code == 308 and r.headers["location"] == "/console/"
    css = b.get("/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert b.get("/static/../app.py").status_code == 404
    assert b.get("/nothing-here").status_code == 404
    assert server.post("DynamoDB_20120810.ListTables", {}).status_code == 200   # the API is still at /


def requests_get(url):
    import requests
    return requests.get(url, allow_redirects=False, timeout=30)


def test_scan_pages_walk_the_table_exactly_once(server, ddb):
    name, _ = make_table(ddb, items=37)
    b = Browser(server.url + "/console")
    url = f"/tables/{name}/items?limit=10"
    seen, pages = [], 0
    while url:
        r = b.get(url)
        assert r.status_code == 200, r.text
        pages += 1
        seen += item_link_keys(r.text)
        m = re.search(r'<a href="/console([^"]+)" id="next-page"', r.text)
        url = m.group(1).replace("&amp;", "&") if m else None
        assert pages < 10
    assert pages == 4 and len(seen) == 37 and len(set(seen)) == 37


def test_query_backward_with_filter_and_bad_expression(server, ddb):
    name, _ = make_table(ddb, items=20)
    b = Browser(server.url + "/console")
    values = json.dumps({":p": {"S": "p1"}, ":min": {"N": "5"}})
    r = b.get(f"/tables/{name}/items?mode=query&kce={q('pk = :p')}&filter={q('n > :min')}&values={q(values)}"
              "&forward=0")
    assert r.status_code == 200, r.text
    sks = [json.loads(__import__("urllib.parse").parse.unquote(k))["sk"]["N"] for k in item_link_keys(r.text)]
    assert sks == ["16", "11", "6"]            # p1 holds 1, 6, 11, 16; the filter drops 1; backward
    bad = b.get(f"/tables/{name}/items?mode=query&kce={q('pk = = :p')}&values={q(values)}")
    assert bad.status_code == 400 and "ValidationException" in bad.text and 'id="error"' in bad.text
    assert b.get("/tables/no-such-table/items").status_code == 404
    assert b.get(f"/tables/{name}/items?limit=0").status_code == 400
    assert b.get(f"/tables/{name}/items?values=%7Bnot").status_code == 400


def test_item_text_is_escaped(server, ddb):
    name, _ = make_table(ddb, items=0)
    ddb.put_item(TableName=name, Item={"pk": {"S": "<script>alert(1)</script>"}, "sk": {"N": "1"}})
    b = Browser(server.url + "/console")
    r = b.get(f"/tables/{name}/items")
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text


def test_edit_goes_through_the_engine_and_appears_in_the_stream(server, ddb, streams):
    name, arn = make_table(ddb, items=1)
    key = json.dumps({"pk": {"S": "p0"}, "sk": {"N": "0"}})
    b = Browser(server.url + "/console")
    page = b.get(f"/tables/{name}/item?key={q(key)}")
    assert page.status_code == 200 and "item &lt;0&gt; &amp; co" in page.text
    edited = {"pk": {"S": "p0"}, "sk": {"N": "0"}, "n": {"N": "41"}, "blob": {"B": "AAEC"}}
    token = b.csrf(page.text)
    preview = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "edit", "key": key, "item": json.dumps(edited)})
    assert preview.status_code == 200 and "Save these changes?" in preview.text
    assert ddb.get_item(TableName=name, Key=json.loads(key))["Item"]["n"] == {"N": "0"}   # asking is not saving
    shown = dict(re.findall(r'<tr class="(\w+)"><th scope="row"><code>(\w+)</code>', preview.text)[i][::-1]
                 for i in range(3))
    assert shown == {"n": "changed", "blob": "added", "note": "removed"}
    r = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "edit", "key": key, "item": json.dumps(edited),
                                       "confirmed": "1"})
    assert r.status_code == 303, r.text
    assert ddb.get_item(TableName=name, Key=json.loads(key))["Item"]["blob"]["B"] == b"\x00\x01\x02"
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
    records = read_shard(streams, arn, shard)
    assert [x["eventName"] for x in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["NewImage"]["n"] == {"N": "41"}
    assert records[1]["dynamodb"]["OldImage"]["n"] == {"N": "0"}
    # the records page shows the change as old -> new
    rp = b.get(f"/stream/records?arn={q(arn)}&shard={q(shard)}&event=MODIFY")
    assert rp.status_code == 200
    row = re.search(r'<tr class="changed"><th scope="row"><code>n</code></th>\s*<td class="old">(.*?)</td>'
                    r'<td aria-hidden="true">→</td><td class="new">(.*?)</td>', rp.text)
    assert row and row.groups() == ("0", "41")
    assert rp.text.count('data-event="MODIFY"') == 1 and 'data-event="INSERT"' not in rp.text


def test_an_edit_cannot_change_the_key_and_create_refuses_an_existing_key(server, ddb):
    name, _ = make_table(ddb, items=1)
    key = json.dumps({"pk": {"S": "p0"}, "sk": {"N": "0"}})
    b = Browser(server.url + "/console")
    token = b.csrf(b.get(f"/tables/{name}/new").text)
    moved = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "edit", "key": key,
                                           "item": json.dumps({"pk": {"S": "other"}, "sk": {"N": "0"}})})
    assert moved.status_code == 400 and "cannot change the item&#39;s key" in moved.text
    again = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "create", "item": key})
    assert again.status_code == 400 and "exists already" in again.text
    bad = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "create", "item": '{"pk": {"S": "x"}}'})
    assert bad.status_code == 400 and "ValidationException" in bad.text      # the range key is missing
    junk = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "create", "item": "{nope"})
    assert junk.status_code == 400 and "not JSON" in junk.text
    assert ddb.scan(TableName=name)["Count"] == 1
    same = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "edit", "key": key,
                                          "item": values_json(ddb.get_item(TableName=name, Key=json.loads(key)))})
    assert same.status_code == 200 and 'id="no-change"' in same.text and 'id="confirm-form"' not in same.text


def values_json(got) -> str:
    from logstore.console.values import to_json
    return to_json(got["Item"])


def test_create_and_delete_with_confirmation(server, ddb, streams):
    name, arn = make_table(ddb, items=0)
    b = Browser(server.url + "/console")
    token = b.csrf(b.get(f"/tables/{name}/new").text)
    item = {"pk": {"S": "new"}, "sk": {"N": "7"}, "tags": {"SS": ["x", "y"]}}
    r = b.post(f"/tables/{name}/put", {"csrf": token, "mode": "create", "item": json.dumps(item)})
    assert r.status_code == 303 and "done=create" in r.headers["location"]
    key = json.dumps({"pk": {"S": "new"}, "sk": {"N": "7"}})
    confirm = b.get(f"/tables/{name}/delete?key={q(key)}")
    assert confirm.status_code == 200 and "Delete this item?" in confirm.text
    assert ddb.scan(TableName=name)["Count"] == 1          # asking is not deleting
    r = b.post(f"/tables/{name}/delete", {"csrf": b.csrf(confirm.text), "key": key})
    assert r.status_code == 303
    assert ddb.scan(TableName=name)["Count"] == 0
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
    assert [x["eventName"] for x in read_shard(streams, arn, shard)] == ["INSERT", "REMOVE"]


def test_posts_without_the_csrf_token_or_from_another_origin_change_nothing(server, ddb):
    name, _ = make_table(ddb, items=1)
    key = json.dumps({"pk": {"S": "p0"}, "sk": {"N": "0"}})
    b = Browser(server.url + "/console")
    token = b.csrf(b.get(f"/tables/{name}/item?key={q(key)}").text)
    assert b.post(f"/tables/{name}/delete", {"key": key}).status_code == 403
    assert b.post(f"/tables/{name}/delete", {"key": key, "csrf": token + "x"}).status_code == 403
    other = b.s.post(b.base + f"/tables/{name}/delete", data={"key": key, "csrf": token},
                     headers={"Origin": "http://evil.example"}, allow_redirects=False, timeout=30)
    assert other.status_code == 403
    cross = b.s.post(b.base + f"/tables/{name}/delete", data={"key": key, "csrf": token},
                     headers={"Sec-Fetch-Site": "cross-site"}, allow_redirects=False, timeout=30)
    assert cross.status_code == 403
    fresh = Browser(server.url + "/console")   # another browser: no cookie, a token copied from elsewhere
    assert fresh.post(f"/tables/{name}/delete", {"key": key, "csrf": token}).status_code == 403
    assert ddb.scan(TableName=name)["Count"] == 1


def test_stream_page_draws_the_lineage_after_a_split_and_a_rollover(server, ddb, streams):
    name, arn = make_table(ddb, items=4)
    first = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    children = [s["ShardId"] for s in server.admin("/logstore-admin/split-shard",
                                                   {"StreamArn": arn, "ShardId": first})["Shards"]]
    ddb.put_item(TableName=name, Item={"pk": {"S": "after"}, "sk": {"N": "1"}})
    server.admin("/logstore-admin/advance-clock", {"Seconds": 5 * 3600})
    server.admin("/logstore-admin/maintain")
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    parents = {s["ShardId"]: s.get("ParentShardId") for s in shards}
    assert len(shards) == 5
    b = Browser(server.url + "/console")
    r = b.get(f"/stream?arn={q(arn)}")
    assert r.status_code == 200
    drawn = dict(re.findall(r'data-shard="([^"]+)" data-parent="([^"]*)"', r.text))
    assert drawn == {k: v or "" for k, v in parents.items()}
    edges = set(re.findall(r'class="edge" data-from="([^"]+)" data-to="([^"]+)"', r.text))
    assert edges == {(p, c) for c, p in parents.items() if p}
    assert {c for p, c in edges if p == first} == set(children)
    counts = dict(re.findall(r'data-shard="([^"]+)"[^>]*data-records="(\d+)"', r.text))
    assert counts[first] == "4" and sum(map(int, counts.values())) == 5
    assert re.search(r'id="shard-count">5 \(2 open\)', r.text)


def test_records_along_lineage_and_filters(server, ddb, streams):
    name, arn = make_table(ddb, items=3)
    first = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    kids = server.admin("/logstore-admin/split-shard", {"StreamArn": arn, "ShardId": first})["Shards"]
    for i in range(6):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "sk": {"N": "0"}})
    b = Browser(server.url + "/console")
    per_child = {}
    for kid in kids:
        r = b.get(f"/stream/records?arn={q(arn)}&shard={q(kid['ShardId'])}")
        per_child[kid["ShardId"]] = r.text.count('<tr class="record')
        along = b.get(f"/stream/records?arn={q(arn)}&shard={q(kid['ShardId'])}&lineage=1")
        assert along.text.count('<tr class="record') == 3 + per_child[kid["ShardId"]]
    assert sum(per_child.values()) == 6
    one = b.get(f"/stream/records?arn={q(arn)}&shard={q(first)}&key={q('pk=p1')}")
    assert one.text.count('<tr class="record') == 1
    paged = b.get(f"/stream/records?arn={q(arn)}&shard={q(first)}&limit=2")
    assert paged.text.count('<tr class="record') == 2
    nxt = re.search(r'<a href="/console([^"]+)" rel="next"', paged.text).group(1).replace("&amp;", "&")
    assert b.get(nxt).text.count('<tr class="record') == 1
    assert b.get(f"/stream/records?arn={q(arn)}&shard={q(first)}&event=NOPE").status_code == 400
    assert b.get(f"/stream/records?arn={q(arn)}&shard={q(first)}&since=yesterday").status_code == 400
    assert b.get(f"/stream/records?arn={q(arn)}&shard=shardId-nope").status_code == 404


def test_tail_feed_follows_a_split_into_the_children(server, ddb, streams):
    name, arn = make_table(ddb, items=2)
    b = Browser(server.url + "/console")
    page = b.get(f"/stream/tail?arn={q(arn)}")
    cursor = json.loads(__import__("html").unescape(re.search(r'data-cursor="([^"]+)"', page.text).group(1)))
    first = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    assert list(cursor) == [first]
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    server.admin("/logstore-admin/split-shard", {"StreamArn": arn, "ShardId": first})
    for i in range(4):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"b{i}"}, "sk": {"N": "1"}})
    feed = b.get(f"/stream/tail.json?arn={q(arn)}&cursor={q(json.dumps(cursor))}").json()
    assert feed["count"] == 5 and first not in feed["cursor"] and len(feed["cursor"]) == 2
    again = b.get(f"/stream/tail.json?arn={q(arn)}&cursor={q(json.dumps(feed['cursor']))}").json()
    assert again["count"] == 0
    assert b.get(f"/stream/tail.json?arn={q(arn)}&cursor=%5B1%5D").status_code == 400


def test_store_page_runs_the_check_and_draws_charts(server, ddb):
    make_table(ddb, items=2)
    b = Browser(server.url + "/console")
    r = b.get("/store")
    assert r.status_code == 200 and r.text.count('<svg class="chart"') == 4 and "check-verdict" not in r.text
    checked = b.get("/store?check=1")
    assert checked.status_code == 200
    assert re.search(r'id="check-verdict" class="ok" role="status">\s*No problems', checked.text), checked.text


def test_query_on_a_global_secondary_index(server, ddb):
    from serverhelpers import unique
    name = unique("gsi")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "colour", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by-colour",
                                              "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}])
    for i in range(9):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "colour": {"S": ["red", "blue", "teal"][i % 3]}})
    b = Browser(server.url + "/console")
    assert "GSI by-colour" in b.get("/").text
    values = json.dumps({":c": {"S": "teal"}})
    r = b.get(f"/tables/{name}/items?mode=query&index=by-colour&kce={q('colour = :c')}&values={q(values)}")
    assert r.status_code == 200, r.text
    keys = sorted(json.loads(__import__("urllib.parse").parse.unquote(k))["pk"]["S"] for k in item_link_keys(r.text))
    assert keys == ["k2", "k5", "k8"]
    assert '<option selected>by-colour</option>' in r.text
