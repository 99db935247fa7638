"""Deadline extraction relative to the message's Date (a Wednesday, 25 February 2026)."""

from __future__ import annotations

from datetime import date

import pytest

from triage.classify.deadlines import find_deadlines, nearest_deadline

SENT = date(2026, 2, 25)  # Wednesday


@pytest.mark.parametrize("text, expected", [
    ("The hearing is on 3/3.", date(2026, 3, 3)),
    ("Please reply by 14th March.", date(2026, 3, 14)),
    ("The deadline is March 14, 2026", date(2026, 3, 14)),
    ("We must lodge the appeal in 10 days", date(2026, 3, 7)),
    ("The panel meets next Tuesday", date(2026, 3, 3)),
    ("The hearing is on Friday", date(2026, 2, 27)),
    ("the tribunal sits tomorrow", date(2026, 2, 26)),
    ("He needs a place before term starts", date(2026, 4, 20)),
    ("the deadline is the 21st", date(2026, 3, 21)),
    ("we are being evicted by the end of the month", date(2026, 2, 28)),
    ("hearing listed for 2026-03-09", date(2026, 3, 9)),
    ("decision due in a fortnight", date(2026, 3, 11)),
    ("Deadline 14.03.2026 for the appeal", date(2026, 3, 14)),
])
def test_deadlines_written_many_ways(text: str, expected: date) -> None:
    found = nearest_deadline(text, SENT)
    assert found is not None and found.when == expected
    assert found.days == (expected - SENT).days and found.cue


@pytest.mark.parametrize("text", [
    "We met the SENCO on 3 February.",  # the past
    "He sat there for 1.5 hours from 10.30",  # not dates
    "It costs £3/4 of the fee",
    "support 24/7 is what he needs",  # a date-like fraction without a cue
    "I sat on the bench",  # 'sat' is not Saturday
])
def test_things_that_are_not_deadlines(text: str) -> None:
    assert nearest_deadline(text, SENT) is None


def test_day_month_is_read_the_british_way() -> None:
    found = nearest_deadline("hearing on 3/2", date(2026, 1, 20))
    assert found is not None and found.when == date(2026, 2, 3)


def test_nearest_of_several_and_bare_dates_are_not_deadlines() -> None:
    text = "Her birthday is on 1 April. The hearing is on 20 March, and the bundle is due by 10 March."
    found = find_deadlines(text, SENT)
    assert {d.when for d in found} == {date(2026, 4, 1), date(2026, 3, 20), date(2026, 3, 10)}
    assert [d for d in found if d.when == date(2026, 4, 1)][0].cue is None
    nearest = nearest_deadline(text, SENT)
    assert nearest is not None and nearest.when == date(2026, 3, 10)


@pytest.mark.parametrize("text", [
    "The hearing is on \u0663/\u0663.",  # Arabic-Indic digits: the cheap ASCII gates must not skip them
    "Deadline \u0661\u0664.\u0660\u0663.\u0662\u0660\u0662\u0666 for the appeal",
])
def test_digits_of_other_scripts_are_read_too(text: str) -> None:
    found = nearest_deadline(text, SENT)
    assert found is not None and found.when in (date(2026, 3, 3), date(2026, 3, 14))
