"""The whole dashboard on a large store, against a baseline measured in the same run.

    python bench/make_store.py 1000000 /tmp/triage-1m.db   # once (with predictions and events)
    python bench/dashboard.py /tmp/triage-1m.db

Baseline: one aggregate pass over the whole messages table (count and sums), the least any
dashboard over every message must do. Then `triage.dashboard.compute` for the default period
(12 weeks ending at the newest message) and for the whole store, best of three each.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

from _common import ROOT  # noqa: F401  (puts the project on sys.path)

from triage.dashboard import compute
from triage.store import Store


def best(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    path = Path(sys.argv[1])
    with Store.open(path, create=False) as store:
        n = store.count_messages()
        events = store.db.execute("SELECT count(*) FROM events").fetchone()[0]
        newest = date.fromisoformat(store.db.execute("SELECT max(date) FROM messages").fetchone()[0][:10])
        oldest = date.fromisoformat(store.db.execute("SELECT min(date) FROM messages").fetchone()[0][:10])
        base = best(lambda: store.db.execute(
            "SELECT count(*), sum(eff_urgency), sum(eff_topics), sum(is_open) FROM messages").fetchone())
        twelve = best(lambda: compute(store, newest - timedelta(weeks=12), newest, today=newest))
        whole = best(lambda: compute(store, oldest, newest, today=newest))
        staff = best(lambda: compute(store, newest - timedelta(weeks=12), newest, staff="Sam", today=newest))
    print(f"store: {n:,} messages, {events:,} status events")
    print(f"baseline, one aggregate pass over every message: {base * 1000:.0f} ms")
    print(f"dashboard, 12 weeks:            {twelve * 1000:.0f} ms  ({twelve / base:.1f}x the baseline)")
    print(f"dashboard, 12 weeks, one staff: {staff * 1000:.0f} ms")
    print(f"dashboard, the whole store:     {whole * 1000:.0f} ms  ({whole / base:.1f}x the baseline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
