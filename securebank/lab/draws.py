"""Random draws the lab's generators share that the standard library lacks (each from a given `random.Random`,
so a seed gives the same draws)."""

from __future__ import annotations

import math
import random


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by Knuth's method: one uniform draw per unit of the result, so for small means only."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
