"""The manager's dashboard as data: every figure is a SQL aggregate over the effective labels,
returned as small tables (the charts and the PDF are drawn from the same tables, and every
table exports as CSV).

Periods are by received date (UTC), inclusive. "Open" figures describe the office now.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .store import REVIEW_CONFIDENCE, Store

TOPIC_COLUMNS = (("SEND", "(eff_topics & 1) != 0"), ("Tribunal", "(eff_topics & 2) != 0"),
                 ("School place", "(eff_topics & 4) != 0"), ("Other", "eff_topics = 0"))
AGE_BUCKETS = (("0-2 days", 0, 2), ("3-7 days", 3, 7), ("8-14 days", 8, 14), ("15-30 days", 15, 30),
               ("over 30 days", 31, 100000))
URGENCY_LABELS = ("Low", "Normal", "High", "Urgent")
# When a message was done: its latest "done" status change that has not been undone.
_DONE_AT = """(SELECT max(e.at) FROM events e WHERE e.message_id = m.id AND e.field = 'status'
               AND e.new_value = '"done"' AND e.undone = 0)"""


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


@dataclass
class Dashboard:
    date_from: date
    date_to: date
    staff: str | None
    generated_at: str
    tables: dict[str, Table] = field(default_factory=dict)

    def write_csv(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for table in self.tables.values():
            path = folder / f"{table.key}.csv"
            path.write_text(table.to_csv(), encoding="utf-8", newline="")
            paths.append(path)
        return paths


def _percentile(store: Store, durations_sql: str, params: list[Any], fraction: float) -> float | None:
    """The nearest-rank percentile of a column of day counts, in SQL."""
    n = store.db.execute(f"SELECT count(*) FROM ({durations_sql})", params).fetchone()[0]
    if not n:
        return None
    rank = max(0, int(-(-fraction * n // 1)) - 1)  # ceil(fraction * n) - 1
    row = store.db.execute(f"SELECT days FROM ({durations_sql}) ORDER BY days LIMIT 1 OFFSET ?",
                           params + [rank]).fetchone()
    return round(float(row[0]), 1)


def compute(store: Store, date_from: date, date_to: date, staff: str | None = None,
            today: date | None = None) -> Dashboard:
    today = today or datetime.now(timezone.utc).date()
    start, end = date_from.isoformat(), (date_to + timedelta(days=1)).isoformat()
    staff_sql = " AND assignee = ?" if staff else ""
    staff_p: list[Any] = [staff] if staff else []
    period = f"date >= ? AND date < ?{staff_sql}"
    period_p: list[Any] = [start, end] + staff_p
    db = store.db
    dash = Dashboard(date_from, date_to, staff,
                     datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

    def add(table: Table) -> None:
        dash.tables[table.key] = table

    # Messages received per week, by topic (a message with two topics counts in both).
    sums = ", ".join(f"sum({cond})" for _label, cond in TOPIC_COLUMNS)
    rows = db.execute(
        f"SELECT date(substr(date, 1, 10), '-6 days', 'weekday 1') AS week, {sums}, count(*) "
        f"FROM messages WHERE {period} GROUP BY week ORDER BY week", period_p).fetchall()
    add(Table("weekly", "Messages received per week, by topic",
              ["Week beginning", *[label for label, _c in TOPIC_COLUMNS], "Total"], [list(r) for r in rows]))

    # Urgency of what is open now.
    counts = dict(db.execute(f"SELECT eff_urgency, count(*) FROM messages WHERE is_open = 1{staff_sql} "
                             "GROUP BY eff_urgency", staff_p).fetchall())
    add(Table("urgency_open", "Open messages by urgency (now)", ["Urgency", "Open messages"],
              [[URGENCY_LABELS[u], counts.get(u, 0)] for u in (3, 2, 1, 0)]))

    # Safeguarding.
    total = db.execute(f"SELECT count(*) FROM messages WHERE eff_safeguarding = 1 AND {period}", period_p).fetchone()[0]
    still_open, oldest = db.execute(
        f"SELECT count(*), min(date) FROM messages WHERE eff_safeguarding = 1 AND is_open = 1{staff_sql}",
        staff_p).fetchone()
    oldest_days = (today - date.fromisoformat(oldest[:10])).days if oldest else None
    add(Table("safeguarding", "Safeguarding", ["Measure", "Value"],
              [["Received in the period", total], ["Still open (any date)", still_open],
               ["Oldest open, days", oldest_days if oldest_days is not None else "none open"]]))

    # Open backlog by age and topic. Each age bucket is a range of received dates, read from
    # the date-ordered covering index (one GROUP BY over all open messages measured slower).
    rows = []
    for label, low, high in AGE_BUCKETS:
        newest = (today - timedelta(days=low - 1)).isoformat()  # exclusive
        oldest_day = (today - timedelta(days=min(high, 100000 - 1))).isoformat() if high < 100000 else "0000"
        row = db.execute(f"SELECT {sums}, count(*) FROM messages WHERE is_open = 1{staff_sql} "
                         "AND date >= ? AND date < ?", staff_p + [oldest_day, newest]).fetchone()
        rows.append([label, *[v or 0 for v in row]])
    add(Table("backlog", "Open backlog by age and topic (now)",
              ["Age", *[label for label, _c in TOPIC_COLUMNS], "Total"], rows))
    age = f"(julianday('{today.isoformat()}') - julianday(substr(date, 1, 10)))"

    # The oldest open urgent items.
    rows = db.execute(
        f"SELECT id, substr(date, 1, 10), CAST({age} AS INTEGER), coalesce(nullif(sender_name, ''), sender_address), "
        f"subject FROM messages WHERE is_open = 1 AND eff_urgency = 3{staff_sql} ORDER BY date LIMIT 10",
        staff_p).fetchall()
    add(Table("oldest_urgent", "Oldest open urgent messages", ["Id", "Received", "Age (days)", "From", "Subject"],
              [list(r) for r in rows]))

    # Time to done, per topic and per week (messages received in the period and done). The
    # durations are worked out once into a temporary table: recomputing them for every week's
    # percentiles made a three-year dashboard take minutes.
    db.execute("DROP TABLE IF EXISTS temp.dash_done")
    db.execute(
        "CREATE TEMP TABLE dash_done AS SELECT julianday(done_at) - julianday(substr(date, 1, 19)) AS days, "
        "eff_topics, date(substr(done_at, 1, 10), '-6 days', 'weekday 1') AS week "
        f"FROM (SELECT m.date, m.eff_topics, {_DONE_AT} AS done_at FROM messages m "
        f"WHERE status = 'done' AND {period}) WHERE done_at IS NOT NULL", period_p)
    db.execute("CREATE INDEX temp.dash_done_week ON dash_done(week, days)")
    rows = []
    for label, cond in (*TOPIC_COLUMNS, ("All", "1")):
        sub = f"SELECT days FROM dash_done WHERE {cond}"
        n = db.execute(f"SELECT count(*) FROM ({sub})").fetchone()[0]
        rows.append([label, n, _percentile(store, sub, [], 0.5), _percentile(store, sub, [], 0.9)])
    add(Table("time_to_done", "Time to done (days), by topic",
              ["Topic", "Done", "Median", "90th percentile"], rows))
    rows = []
    for week, n in db.execute("SELECT week, count(*) FROM dash_done GROUP BY week ORDER BY week").fetchall():
        sub = "SELECT days FROM dash_done WHERE week = ?"
        rows.append([week, n, _percentile(store, sub, [week], 0.5), _percentile(store, sub, [week], 0.9)])
    add(Table("time_to_done_weekly", "Time to done (days), by week done",
              ["Week beginning", "Done", "Median", "90th percentile"], rows))
    db.execute("DROP TABLE temp.dash_done")

    # Deadlines in the next 14 days.
    rows = db.execute(
        f"SELECT id, deadline, coalesce(nullif(sender_name, ''), sender_address), subject, eff_urgency "
        f"FROM messages WHERE is_open = 1 AND deadline_key BETWEEN ? AND ?{staff_sql} ORDER BY deadline_key, id",
        [today.isoformat(), (today + timedelta(days=14)).isoformat()] + staff_p).fetchall()
    add(Table("deadlines", "Deadlines in the next 14 days", ["Id", "Deadline", "From", "Subject", "Urgency"],
              [[r[0], r[1], r[2], r[3], URGENCY_LABELS[r[4]]] for r in rows]))

    # Per staff member: assigned and open now; done in the period (by when it was done).
    open_by = dict(db.execute(
        "SELECT assignee, count(*) FROM messages WHERE assignee IS NOT NULL AND is_open = 1"
        + (" AND assignee = ?" if staff else "") + " GROUP BY assignee", staff_p).fetchall())
    done_by = dict(db.execute(
        # CROSS JOIN fixes the loop order: the period's status events, then their messages.
        "SELECT m.assignee, count(DISTINCT m.id) FROM events e CROSS JOIN messages m ON m.id = e.message_id "
        "WHERE e.field = 'status' AND e.new_value = '\"done\"' AND e.undone = 0 AND e.at >= ? AND e.at < ? "
        "AND m.status = 'done' AND m.assignee IS NOT NULL" + (" AND m.assignee = ?" if staff else "")
        + " GROUP BY m.assignee", [start, end] + staff_p).fetchall())
    add(Table("staff", "Per staff member", ["Staff member", "Assigned and open", "Done in the period"],
              [[name, open_by.get(name, 0), done_by.get(name, 0)] for name in sorted(set(open_by) | set(done_by))]))

    # Model health: how often the model was unsure, and how often staff corrected each topic.
    predicted = db.execute(f"SELECT count(*), sum(coalesce(p.confidence, 1) < ?) FROM messages m "
                           f"JOIN predictions p ON p.message_id = m.id WHERE {period}",
                           [REVIEW_CONFIDENCE] + period_p).fetchone()
    n_pred, unsure = predicted[0], predicted[1] or 0
    rows = [["Model unsure", unsure, n_pred, _share(unsure, n_pred)]]
    for label, needle in (("SEND corrected", '"send"'), ("Tribunal corrected", '"tribunal"'),
                          ("School place corrected", '"school_place"')):
        changed = db.execute(
            f"SELECT count(*) FROM messages m JOIN predictions p ON p.message_id = m.id "
            f"JOIN labels l ON l.message_id = m.id WHERE l.topics IS NOT NULL "
            f"AND (instr(l.topics, ?) > 0) != (instr(p.topics, ?) > 0) AND {period}",
            [needle, needle] + period_p).fetchone()[0]
        rows.append([label, changed, n_pred, _share(changed, n_pred)])
    add(Table("model_health", "Model health in the period", ["Measure", "Messages", "Of", "Share"], rows,
              note=f"unsure = confidence below {REVIEW_CONFIDENCE:.0%}; corrected = a staff label "
                   "disagrees with the model on that topic"))
    return dash


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"
