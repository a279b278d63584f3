"""protocol.BodyBudget: the bytes of request bodies a worker holds at once. Requests are admitted in arrival
order while their share fits; one that cannot get it within its timeout is refused (False) and leaves the queue;
released bytes admit the next; a body larger than the whole budget waits for all of it."""
from __future__ import annotations

import asyncio

import pytest

from logstore.server.protocol import BodyBudget


def test_admits_in_order_times_out_and_releases():
    async def scenario():
        budget = BodyBudget(100)
        assert await budget.acquire(60, 1)
        order = []

        async def want(name, n, timeout):
            ok = await budget.acquire(n, timeout)
            order.append((name, ok))
            return ok
        big = asyncio.create_task(want("big", 50, 0.2))       # does not fit beside the 60: times out
        _small = asyncio.create_task(want("small", 30, 5))    # held: fits, but waits behind "big" (arrival order)
        await asyncio.sleep(0.05)
        assert order == []
        await big
        await asyncio.sleep(0.01)
        assert order == [("big", False), ("small", True)] and budget.used == 90
        budget.release(60)
        huge = asyncio.create_task(want("huge", 500, 5))     # larger than the budget: waits for all of it
        await asyncio.sleep(0.05)
        assert not huge.done()
        budget.release(30)
        assert await huge and budget.used == 100
        budget.release(500)
        assert budget.used == 0
    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_a_budget_must_be_positive():
    with pytest.raises(ValueError):
        BodyBudget(0)
