"""The console's pages, one function per route of app.py: each reads the request's fields, asks the source
(source.py) for one page of data and renders a template. URL fields are the page's whole state (a page can be
bookmarked, reloaded, opened in a new tab); bad fields are a 400 page saying what was wrong.

Pages: Tables (``/``), Items (``/tables/T/items``: Scan or Query, a page at a time), an item (``/tables/T/item``,
its editor and, in ``serve``, create/edit/delete with a confirmation), a stream's shard lineage
(``/stream?arn=``, a page of shards), its records (``/stream/records``: one shard or along its lineage, with
filters and image diffs), the live tail (``/stream/tail`` and its JSON feed), and the Store (``/store``).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import urlencode

from logstore.errors import AwsError, ConditionalCheckFailedException, ValidationException

from . import drawing, values, web
from .source import seq_of

PAGE_SIZES = (10, 25, 50, 100, 250)
SHARDS_PER_PAGE = 100
TAIL_LIMIT = 500


def _int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.arg(name)
    if text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValidationException(f"{name} must be a whole number, not {text!r}") from None
    if not lo <= value <= hi:
        raise ValidationException(f"{name} must be between {lo} and {hi}, not {value}")
    return value


def _json_field(request: web.Request, name: str, what: str) -> dict | None:
    text = request.arg(name).strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValidationException(f"{what} is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise ValidationException(f"{what} must be a JSON object")
    return value


def fmt_ms(ms: int | None) -> str:
    if ms is None:
        return "-"
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + "%03dZ" % (ms % 1000)


def parse_when(text: str, now_ms: int) -> int | None:
    """A time from a filter field: ISO 8601 (UTC if no zone), epoch ms, or an age ago (90s, 15m, 2h, 1d)."""
    t = text.strip()
    if not t:
        return None
    units = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
    if t[-1] in units and t[:-1].isdigit():
        return now_ms - int(t[:-1]) * units[t[-1]]
    if t.isdigit():
        return int(t)
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationException(f"not a time: {text!r} (ISO 8601, epoch ms, or an age like 15m)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


# -- tables and items ------------------------------------------------------------------------------------------

def tables(c, request: web.Request) -> web.Response:
    return c.render(request, "tables.html", tables=c.source.tables(), streams=c.source.streams(), fmt_ms=fmt_ms)


def _key_names(desc: dict) -> list[str]:
    return [k["AttributeName"] for k in desc["KeySchema"]]


def items(c, request: web.Request, table: str) -> web.Response:
    info = c.source.table(table)
    desc = info["desc"]
    form = {k: request.arg(k) for k in ("mode", "index", "kce", "filter", "names", "values", "start", "forward",
                                        "limit", "n")}
    query = form["mode"] == "query"
    limit = _int(request, "limit", 25, 1, 1000)
    page_no = _int(request, "n", 1, 1, 10**9)
    result, error = None, None
    try:
        req: dict = {"Limit": limit}
        if form["index"]:
            req["IndexName"] = form["index"]
        if form["filter"].strip():
            req["FilterExpression"] = form["filter"]
        names = _json_field(request, "names", "Names")
        if names:
            req["ExpressionAttributeNames"] = names
        vals = _json_field(request, "values", "Values")
        if vals:
            req["ExpressionAttributeValues"] = values.item_from_json(json.dumps(vals))
        start = _json_field(request, "start", "The start key")
        if start == {}:
            raise ValidationException("The provided starting key is invalid: it is empty")
        if start:
            req["ExclusiveStartKey"] = values.item_from_json(json.dumps(start))
        if query:
            if not form["kce"].strip():
                raise ValidationException("A Query needs a key condition, e.g. pk = :v with Values "
                                          '{":v": {"S": "x"}}')
            req["KeyConditionExpression"] = form["kce"]
            if form["forward"] not in ("", "0", "1"):
                raise ValidationException(f"forward must be 1 (ascending) or 0 (descending), not {form['forward']!r}")
            req["ScanIndexForward"] = form["forward"] != "0"
        result = c.source.items(table, req, query)
    except ValidationException as exc:
        error = f"{exc.aws_type()}: {exc.message}"
    keys = _key_names(desc)
    rows = result["Items"] if result else []
    columns = list(keys)
    for item in rows:
        for name in item:
            if name not in columns and len(columns) < 12:
                columns.append(name)
    next_url = None
    if result and result.get("LastEvaluatedKey"):
        nxt = {k: v for k, v in form.items() if v}
        nxt.update(start=values.to_json(result["LastEvaluatedKey"], indent=None), n=str(page_no + 1))
        next_url = request.url(f"/tables/{table}/items?" + urlencode(nxt))
    first = {k: v for k, v in form.items() if v and k not in ("start", "n")}
    first_url = request.url(f"/tables/{table}/items?" + urlencode(first))
    indexes = [i["IndexName"] for i in desc.get("GlobalSecondaryIndexes", []) + desc.get("LocalSecondaryIndexes", [])]
    return c.render(request, "items.html", status=400 if error else 200, table=table, desc=desc, form=form,
                    query=query, limit=limit, rows=rows, columns=columns, keys=keys, error=error, result=result,
                    next_url=next_url, first_url=first_url, page_no=page_no, indexes=indexes,
                    page_sizes=PAGE_SIZES, short=values.short, done=request.arg("done"),
                    key_json=lambda item: values.to_json({k: item[k] for k in keys if k in item}, indent=None))


def _key_arg(request: web.Request, source: str = "query") -> dict:
    text = (request.query if source == "query" else request.form).get("key", "")
    if not text.strip():
        raise ValidationException('key (the item\'s key as DynamoDB JSON, e.g. {"pk": {"S": "x"}}) is required')
    try:
        return values.item_from_json(text)
    except ValidationException as exc:
        raise ValidationException(f"key: {exc.message}") from None


def item(c, request: web.Request, table: str) -> web.Response:
    desc = c.source.table(table)["desc"]
    key = _key_arg(request)
    found = c.source.get_item(table, key)
    return c.render(request, "item.html", status=200 if found else 404, table=table, desc=desc, key=key,
                    item=found, readable=values.short, type_of=values.type_of, to_json=values.to_json,
                    key_json=values.to_json(key, indent=None), stream=_stream_of(desc), done=request.arg("done"))


def _stream_of(desc: dict) -> str | None:
    return desc.get("LatestStreamArn")


def new_item(c, request: web.Request, table: str) -> web.Response:
    desc = c.source.table(table)["desc"]
    types = {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]}
    skeleton = {k: {types.get(k, "S"): ""} for k in _key_names(desc)}
    return c.render(request, "edit.html", table=table, desc=desc, mode="create", text=values.to_json(skeleton),
                    error=None, key_json=None)


def put_item(c, request: web.Request, table: str) -> web.Response:
    desc = c.source.table(table)["desc"]
    mode = request.form.get("mode", "edit")
    text = request.form.get("item", "")
    keys = _key_names(desc)
    try:
        item = values.item_from_json(text)
        if mode == "edit":
            old_key = _key_arg(request, "form")
            if {k: item.get(k) for k in keys} != old_key:
                raise ValidationException("An edit cannot change the item's key; create a new item instead")
            if request.form.get("confirmed") != "1":   # first show what the PutItem would change
                current = c.source.get_item(table, old_key)
                return c.render(request, "confirm_edit.html", table=table, desc=desc, text=text,
                                key_json=request.form.get("key"), changes=values.diff(current, item),
                                current=current)
        c.source.put_item(table, item, expect_new=mode == "create", key_names=keys)
    except ConditionalCheckFailedException:
        error = "An item with this key exists already: open it to edit it."
    except AwsError as exc:
        error = f"{exc.aws_type()}: {exc.message}"
    else:
        key = values.to_json({k: item[k] for k in keys}, indent=None)
        return web.redirect(request.url(f"/tables/{table}/item?" + urlencode({"key": key, "done": mode})))
    return c.render(request, "edit.html", status=400, table=table, desc=desc, mode=mode, text=text, error=error,
                    key_json=request.form.get("key"))


def confirm_delete(c, request: web.Request, table: str) -> web.Response:
    desc = c.source.table(table)["desc"]
    key = _key_arg(request)
    found = c.source.get_item(table, key)
    return c.render(request, "delete.html", status=200 if found else 404, table=table, desc=desc, item=found,
                    key_json=values.to_json(key, indent=None), to_json=values.to_json)


def delete_item(c, request: web.Request, table: str) -> web.Response:
    key = _key_arg(request, "form")
    c.source.delete_item(table, key)
    return web.redirect(request.url(f"/tables/{table}/items?" + urlencode({"done": "deleted"})))


# -- streams ---------------------------------------------------------------------------------------------------

def _arn(request: web.Request) -> str:
    arn = request.arg("arn")
    if not arn:
        raise ValidationException("arn (the stream's ARN) is required")
    return arn


def stream(c, request: web.Request) -> web.Response:
    arn = _arn(request)
    page = _int(request, "page", 1, 1, 10**9)
    data = c.source.shard_page(arn, page, SHARDS_PER_PAGE)

    def href(shard_id: str) -> str:
        return request.url("/stream/records?" + urlencode({"arn": data["stream"].arn, "shard": shard_id}))
    graph = drawing.lineage(data["rows"], data["now_ms"], href)

    def page_url(n: int) -> str:
        return request.url("/stream?" + urlencode({"arn": data["stream"].arn, "page": n}))
    return c.render(request, "stream.html", data=data, info=data["stream"], graph=graph, page_url=page_url,
                    href=href, fmt_ms=fmt_ms, seq=_seq_text)


def _seq_text(seq: int | None) -> str:
    from logstore.stream import ids
    return "-" if seq is None else ids.seq_to_wire(seq)


def _matcher(request: web.Request, now_ms: int):
    event = request.arg("event")
    if event and event not in ("INSERT", "MODIFY", "REMOVE"):
        raise ValidationException(f"event must be INSERT, MODIFY or REMOVE, not {event!r}")
    key_text = request.arg("key").strip()
    key_name, _, key_value = key_text.partition("=") if "=" in key_text else ("", "", key_text)
    since, until = parse_when(request.arg("since"), now_ms), parse_when(request.arg("until"), now_ms)

    def match(rec: dict, ts: int) -> bool:
        if event and rec["eventName"] != event:
            return False
        if since is not None and ts < since:
            return False
        if until is not None and ts > until:
            return False
        if key_text:
            keys = rec["dynamodb"]["Keys"]
            found = False
            for name, av in keys.items():
                if key_name and name != key_name.strip():
                    continue
                plain = next(iter(av.values()))
                if str(plain) == key_value.strip() or values.readable(av) == key_value.strip():
                    found = True
            return found
        return True
    return match


def records(c, request: web.Request) -> web.Response:
    import time
    arn = _arn(request)
    shard_id = request.arg("shard")
    if not shard_id:
        raise ValidationException("shard (a shard id) is required")
    limit = _int(request, "limit", 50, 1, 1000)
    lineage = request.arg("lineage") == "1"
    match = _matcher(request, int(time.time() * 1000))
    data = c.source.records(arn, shard_id, seq_of(request.arg("from")), limit, lineage, match)
    fields = {k: request.arg(k) for k in ("arn", "shard", "lineage", "event", "key", "since", "until", "limit")}
    next_url = None
    if data["next"] is not None:
        nxt = {k: v for k, v in fields.items() if v}
        nxt["from"] = str(data["next"][1])
        next_url = request.url("/stream/records?" + urlencode(nxt))
    rows = [(r, values.diff(r.record["dynamodb"].get("OldImage"), r.record["dynamodb"].get("NewImage")))
            for r in data["rows"]]
    return c.render(request, "records.html", data=data, info=data["stream"], rows=rows, fields=fields,
                    next_url=next_url, fmt_ms=fmt_ms, seq=_seq_text, to_json=values.to_json, short=values.short,
                    lineage=lineage)


def tail(c, request: web.Request) -> web.Response:
    arn = _arn(request)
    data = c.source.tail_start(arn)
    return c.render(request, "tail.html", info=data["stream"], cursor=json.dumps(data["cursor"]),
                    feed=request.url("/stream/tail.json?" + urlencode({"arn": data["stream"].arn})))


def tail_json(c, request: web.Request) -> web.Response:
    arn = _arn(request)
    try:
        cursor = json.loads(request.arg("cursor") or "{}")
        if not isinstance(cursor, dict) or not all(isinstance(k, str) and isinstance(v, int)
                                                   and not isinstance(v, bool) and v >= 0
                                                   for k, v in cursor.items()):
            raise ValueError
    except ValueError:
        raise ValidationException('cursor must be a JSON object {"shard id": next sequence number}') from None
    data = c.source.tail(arn, cursor, TAIL_LIMIT)
    rows = [(r, values.diff(r.record["dynamodb"].get("OldImage"), r.record["dynamodb"].get("NewImage")))
            for r in data["rows"]]
    html = c.templates.get_template("_record_rows.html").render(
        rows=rows, fmt_ms=fmt_ms, seq=_seq_text, to_json=values.to_json, base=c.prefix, info=None, tail=True)
    body = json.dumps({"cursor": data["cursor"], "count": len(rows), "html": html})
    return web.Response(200, body, "application/json")


# -- the store -------------------------------------------------------------------------------------------------

def store(c, request: web.Request) -> web.Response:
    stats = c.source.store_stats()
    first = stats["first_busy_minute"]
    minutes = stats["minutes"]
    lo_minute = max(0, min(first, len(minutes) - 60))   # from the first busy minute (at least the last hour)
    start = stats["start_ms"] + lo_minute * 60_000
    per_minute = drawing.timeline([(start + i * 60_000, n) for i, n in enumerate(minutes[lo_minute:])],
                                  start, stats["now_ms"], "records per minute")
    items_chart = drawing.bars([(t["name"], t["items"]) for t in stats["tables"]], "items per table")
    bytes_chart = drawing.bars([(t["name"], t["bytes"]) for t in stats["tables"]], "bytes per table",
                               unit=_fmt_bytes)
    shard_lo = min((t for t, _ in stats["open_shards"]), default=stats["now_ms"] - 3_600_000)
    shards_chart = drawing.timeline(stats["open_shards"], shard_lo, stats["now_ms"], "open shards over time",
                                    step=True)
    check = c.source.check() if request.arg("check") == "1" else None
    return c.render(request, "store.html", stats=stats, per_minute=per_minute, items_chart=items_chart,
                    bytes_chart=bytes_chart, shards_chart=shards_chart, check=check, fmt_bytes=_fmt_bytes,
                    path=c.source.path)


def _fmt_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
