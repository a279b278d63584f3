"""PynamoDB (its own botocore session and client, its own ``before-send`` hook) is answered by the mock too."""
from __future__ import annotations

import pytest

pynamodb = pytest.importorskip("pynamodb")   # in the [test] extra; skipped only where it is not installed
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute  # noqa: E402
from pynamodb.exceptions import PutError  # noqa: E402
from pynamodb.models import Model  # noqa: E402

from logstore.testing import mock  # noqa: E402


class Order(Model):
    class Meta:
        table_name = "pynamo-orders"
        region = "eu-west-1"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    customer = UnicodeAttribute(hash_key=True)
    order_no = NumberAttribute(range_key=True)
    status = UnicodeAttribute(default="new")
    tags = UnicodeSetAttribute(null=True)


def test_model_create_save_query_update_and_conditions():
    with mock() as m:
        Order.create_table(read_capacity_units=1, write_capacity_units=1, wait=True)
        for n in range(5):
            Order("alice", n, tags={"x", f"t{n}"}).save()
        Order("bob", 1).save()
        got = [o.order_no for o in Order.query("alice", Order.order_no >= 2)]
        assert got == [2, 3, 4]
        order = Order.get("alice", 3)
        order.update(actions=[Order.status.set("shipped")])
        assert Order.get("alice", 3).status == "shipped"
        with pytest.raises(PutError) as err:
            Order("bob", 1).save(condition=Order.customer.does_not_exist())
        assert err.value.cause_response_code == "ConditionalCheckFailedException"
        assert Order.count("alice") == 5
        # the region is PynamoDB's: the table lives in eu-west-1's store, with its stream
        assert "eu-west-1" in m.regions
        events = [r["eventName"] for r in m.records("pynamo-orders", region="eu-west-1")]
        assert events == ["INSERT"] * 6 + ["MODIFY"]
