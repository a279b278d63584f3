"""How ``advance`` turns an amount of time into maintenance rounds, for the mock and the live server alike.

A server runs maintenance every minute; a test that jumps 25 hours should see what that would have left behind
(shards rolled over at about their 4-hour age, not once at the end). So a jump is cut into rounds of at most one
simulated hour, evenly spaced, at most ``MAX_ROUNDS`` of them (a longer jump has longer rounds: past the 24-hour
retention nothing of the early ones is readable anyway). Pure functions.
"""
from __future__ import annotations

HOUR_MS = 3_600_000
MAX_ROUNDS = 240


def total_ms(seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0) -> int:
    total = int(round((seconds + minutes * 60 + hours * 3600 + days * 86400) * 1000))
    if total < 0:
        raise ValueError("time moves forward only: advance by a non-negative amount")
    return total


def steps(total: int) -> list[int]:
    """The clock moves of each round (milliseconds), summing to ``total``; one round (possibly of 0) at least."""
    rounds = max(1, min(MAX_ROUNDS, -(-total // HOUR_MS)))
    return [total * (i + 1) // rounds - total * i // rounds for i in range(rounds)]
