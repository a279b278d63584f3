"""TTL: as on AWS, an expiry time more than five years in the past (typically milliseconds written where seconds
belong) is ignored, not taken as expired; one within five years expires."""
from __future__ import annotations

import logstore
from logstore.clock import FakeClock

YEAR_S = 365 * 24 * 3600


def test_expiry_more_than_five_years_old_is_ignored(tmp_path):
    clock = FakeClock(1_700_000_000_000)
    now_s = clock.now_ms() // 1000
    with logstore.open(tmp_path / "s", clock=clock) as store:
        store.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")
        store.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        for pk, exp in (("recent", now_s - 10), ("four-years", now_s - 4 * YEAR_S), ("six-years", now_s - 6 * YEAR_S),
                        ("future", now_s + 10)):
            store.put_item(TableName="tbl", Item={"pk": {"S": pk}, "exp": {"N": str(exp)}})
        store.maintain()
        left = sorted(pk for pk in ("recent", "four-years", "six-years", "future")
                      if store.get_item(TableName="tbl", Key={"pk": {"S": pk}}).get("Item"))
        assert left == ["future", "six-years"]
