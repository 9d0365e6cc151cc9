"""An idiomatic SimPy model of the mmc-check scenario: M/M/50+M.

Poisson arrivals at 540 per hour, exponential handle times with mean 300 s, 50 agents,
exponential patience with mean 120 s (a customer leaves if no agent answers in time).
Prints customers simulated per wall-clock second and the usual figures, so the result can
be checked against Erlang A (service level 0.912 within 20 s, ASA 3.1 s, 2.9 % abandon).

    python simpy_mmc.py --customers 200000 --runs 3
    python simpy_mmc.py --no-patience     # plain M/M/50 (Erlang C: 0.739 within 20 s)
"""

import argparse
import random
import time

import simpy

ARRIVALS_PER_S = 540 / 3600
AHT_S = 300.0
PATIENCE_S = 120.0
AGENTS = 50
TARGET_S = 20.0


class Stats:
    def __init__(self):
        self.offered = 0
        self.answered = 0
        self.within = 0
        self.abandoned = 0
        self.wait = 0.0


def customer(env, agents, rng, stats, patience):
    arrived = env.now
    stats.offered += 1
    with agents.request() as req:
        if patience:
            result = yield req | env.timeout(rng.expovariate(1 / PATIENCE_S))
        else:
            result = yield req
        if not patience or req in result:
            wait = env.now - arrived
            stats.answered += 1
            stats.wait += wait
            if wait <= TARGET_S:
                stats.within += 1
            yield env.timeout(rng.expovariate(1 / AHT_S))
        else:
            stats.abandoned += 1


def source(env, agents, rng, stats, customers, patience):
    for _ in range(customers):
        yield env.timeout(rng.expovariate(ARRIVALS_PER_S))
        env.process(customer(env, agents, rng, stats, patience))


def run(customers, seed, patience=True):
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    stats = Stats()
    env.process(source(env, agents, rng, stats, customers, patience))
    start = time.perf_counter()
    env.run()
    return stats, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-patience", action="store_true", help="M/M/50 without abandonment")
    args = ap.parse_args()
    rates = []
    for i in range(args.runs):
        stats, secs = run(args.customers, seed=7 + i, patience=not args.no_patience)
        rate = stats.offered / secs
        rates.append(rate)
        print(
            f"simpy run {i}: {stats.offered} customers in {secs:.2f} s = {rate:,.0f} customers/s; "
            f"service level {stats.within / stats.offered:.3f}, ASA {stats.wait / max(stats.answered, 1):.2f} s, "
            f"abandoned {stats.abandoned / stats.offered:.3%}"
        )
    rates.sort()
    print(f"customers_per_s_median={rates[len(rates) // 2]:.0f}")


if __name__ == "__main__":
    main()
