"""Deadlines written the many ways people write them, resolved against the message's own Date.

"hearing on 3/2", "by 14th March", "in 10 days", "next Tuesday", "tomorrow", "before term
starts", "on the 21st", "end of the month", "2026-03-09". Dates are read the British way
(day/month). Only future dates count; a date is a deadline when its sentence carries a cue
(hearing, by, deadline, appeal, starts, eviction ...), so "we met on 3 March" is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name: i for i, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
WEEKDAYS = {name: i for i, names in enumerate((
    ("monday", "mon"), ("tuesday", "tues", "tue"), ("wednesday", "wed", "weds"),
    ("thursday", "thurs", "thu"), ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun")))
    for name in names}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                "couple of": 2, "a couple of": 2, "few": 3, "a few": 3}

CUES = re.compile(
    r"\b(?:hearing|tribunal|deadline|due|by|before|until|till|no later than|appeal|panel|court|"
    r"start(?:s|ing)?|begin(?:s|ning)?|meeting|review|exclu\w*|evict\w*|possession|bailiffs?|"
    r"expir\w*|lodge|submit|decision|closing date|closes|offer day|operation|interview|"
    r"move|moving|transfer|sentenc\w*|trial|listed|response|respond|reply|sits|date)\b"
)
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_NUM = r"(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:a )?couple of|(?:a )?few)"

_QUALIFIER = re.compile(r"\b(next|this|on|coming|by|until|before)\s+$")

# No pattern starts with \b or a lookbehind: Python's engine can then skip ahead to the first
# literal or digit. The word-start check is made in code (`_starts_word`).
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(20\d\d)-(\d\d)-(\d\d)\b")),
    ("dmy", re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?(?![\d/%])")),
    # With dots only when a year follows: "1.5 hours" and "10.30" are not dates.
    ("dmy", re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})(?![\d.])")),
    ("day_month", re.compile(rf"{_DAY}(?:\s+of)?\s+{_MONTH}\b\.?(?:,?\s+(20\d\d))?")),
    ("month_day", re.compile(rf"{_MONTH}\s+{_DAY}\b(?:,?\s+(20\d\d))?")),
    # The day name first; the qualifier ("next", "this") is read behind it.
    ("weekday", re.compile(r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|tues|thurs|weds)\b")),
    ("the_nth", re.compile(r"the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?[a-z]{3})")),
    ("relative", re.compile(rf"(?:in|within)\s+{_NUM}\s+(day|week|month)s?\b")),
    ("fortnight", re.compile(r"(?:in|within|next)\s+(?:a\s+)?fortnight\b")),
    ("word", re.compile(r"(today|tonight|tomorrow|tmrw|tmr|next week|this week|end of (?:the|this) week|"
                        r"end of (?:the|this) month|end of next week|next month|this weekend|"
                        r"first thing monday)\b")),
    ("term", re.compile(r"(?:before|start of|when|until)\s+(?:the\s+)?(?:new\s+)?(?:school\s+)?term\s*(?:starts|begins)?\b|"
                        r"start of (?:the )?(?:school )?year\b|back to school\b")),
]
# Cheap substring tests: a pattern runs only on text holding the literals its matches must
# contain (each pass of Python's engine over 2 KB costs ~20 us whatever the pattern, and one
# alternation of all of them measured slower still). A gate is (every one of, at least one of),
# taken from the patterns themselves.
_DIGIT = re.compile(r"\d")
_NEEDS_DIGIT = {"iso", "dmy", "day_month", "month_day", "the_nth"}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_GATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "iso": ((), ("-",)), "dmy": ((), ("/", ".")), "day_month": ((), _MONTHS), "month_day": ((), _MONTHS),
    "weekday": ((), ("day", "tues", "thurs", "weds")), "the_nth": ((), ("the",)),
    "relative": (("in",), ("day", "week", "month")),  # "in"/"within", a number, a unit
    "fortnight": ((), ("fortnight",)),
    "word": ((), ("today", "tonight", "tomorrow", "tmr", "next week", "this week", "end of ",
                  "next month", "first thing monday")),
    "term": ((), ("term", "start of ", "back to school")),
}


def _ascii_gate(kind: str, pattern: re.Pattern[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """In ASCII text the numeric patterns need their separator followed by a digit ("3/2",
    "14.03.2026", "2026-03-09"): "." alone is in every sentence. (Text with other scripts'
    digits, which \\d also reads, keeps the separator-only gates.)"""
    if kind in ("iso", "dmy"):
        separator = "-" if kind == "iso" else "/" if "/" in pattern.pattern else "."
        return (), tuple(separator + d for d in "0123456789")
    return _GATES[kind]


_ASCII_GATES = [_ascii_gate(kind, pattern) for kind, pattern in PATTERNS]
_ANY_SCRIPT_GATES = [_GATES[kind] for kind, _pattern in PATTERNS]
# Characters that may not stand just before a match (a word start; for numbers, no £ or /).
_NOT_BEFORE = {"dmy": set("0123456789/£$."), "iso": set("0123456789")}


def _starts_word(text: str, kind: str, start: int) -> bool:
    if start == 0:
        return True
    before = text[start - 1]
    if before in _NOT_BEFORE.get(kind, ()):
        return False
    return not before.isalnum()
MAX_AHEAD_DAYS = 400


@dataclass(frozen=True, slots=True)
class Deadline:
    when: date
    days: int  # from the message's date
    phrase: str
    cue: str | None  # the word that makes it a deadline, None for a bare future date


def _next_weekday(base: date, weekday: int, qualifier: str) -> date:
    ahead = (weekday - base.weekday()) % 7
    if ahead == 0:
        ahead = 7 if qualifier in ("next", "coming") else 0
    return base + timedelta(days=ahead)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _forward(base: date, month: int, day: int, year: int | None) -> date | None:
    """The date with that day and month on or after `base` (this year or next), or in `year`."""
    if year is not None:
        return _safe_date(year, month, day)
    candidate = _safe_date(base.year, month, day)
    if candidate is not None and candidate >= base:
        return candidate
    if candidate is not None and (base - candidate).days <= 180:
        return None  # "we met on 3 February" written in March: the past, not next year
    return _safe_date(base.year + 1, month, day)


def _term_start(base: date) -> date:
    for year in (base.year, base.year + 1):
        for month, day in ((1, 5), (4, 20), (9, 3)):
            start = date(year, month, day)
            if start >= base:
                return start
    return date(base.year + 1, 9, 3)


def _resolve(kind: str, m: re.Match[str], base: date) -> date | None:
    g = m.groups()
    if kind == "iso":
        return _safe_date(int(g[0]), int(g[1]), int(g[2]))
    if kind == "dmy":
        day, month = int(g[0]), int(g[1])
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return None
        year = None
        if g[2]:
            year = int(g[2]) + (2000 if len(g[2]) == 2 else 0)
        return _forward(base, month, day, year)
    if kind == "day_month":
        return _forward(base, MONTHS[g[1].lower()[:3]], int(g[0]), int(g[2]) if g[2] else None)
    if kind == "month_day":
        return _forward(base, MONTHS[g[0].lower()[:3]], int(g[1]), int(g[2]) if g[2] else None)
    if kind == "weekday":
        # Full names only (and "tues", "thurs", "weds"): "sat", "sun", "wed" are ordinary words.
        before = _QUALIFIER.search(m.string, max(0, m.start() - 12), m.start())
        return _next_weekday(base, WEEKDAYS[m.group(0)], before.group(1) if before else "")
    if kind == "the_nth":
        day = int(g[0])
        if not 1 <= day <= 31:
            return None
        if day >= base.day:
            found = _safe_date(base.year, base.month, day)
            if found:
                return found
        month, year = (base.month % 12) + 1, base.year + (base.month == 12)
        return _safe_date(year, month, day)
    if kind == "relative":
        raw = g[0].lower()
        n = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw, 1)
        unit = g[1].lower()
        return base + timedelta(days=n * {"day": 1, "week": 7, "month": 30}[unit])
    if kind == "fortnight":
        return base + timedelta(days=14)
    if kind == "word":
        word = g[0].lower()
        if word in ("today", "tonight"):
            return base
        if word in ("tomorrow", "tmrw", "tmr"):
            return base + timedelta(days=1)
        if word in ("this week", "end of the week", "end of this week", "this weekend"):
            return base + timedelta(days=max(0, 4 - base.weekday()) or 1)
        if word in ("next week", "first thing monday"):
            return _next_weekday(base, 0, "next")
        if word == "end of next week":
            return _next_weekday(base, 4, "next") + timedelta(days=7 if base.weekday() < 4 else 0)
        if word in ("end of the month", "end of this month"):
            nxt = date(base.year + (base.month == 12), base.month % 12 + 1, 1)
            return nxt - timedelta(days=1)
        if word == "next month":
            return base + timedelta(days=30)
    if kind == "term":
        return _term_start(base)
    return None


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
    rights = [i for i in (text.find(c, end) for c in ".!?\n") if i != -1]
    return text[left:min(rights) if rights else len(text)]


def find_deadlines(text: str, sent: date) -> list[Deadline]:
    """Every future date mentioned in `text`, relative to the day the message was sent."""
    found: list[Deadline] = []
    # Lower-case patterns on lowered text, no IGNORECASE: about ten times faster in Python's re.
    text = text.lower()
    # Ten memchr scans cost a tenth of one regex pass for \d over 2 KB; other scripts' digits
    # (which \d and int() accept) are looked for only in text that is not ASCII.
    ascii_only = text.isascii()
    has_digit = any(d in text for d in "0123456789") or (not ascii_only and _DIGIT.search(text) is not None)
    gates = _ASCII_GATES if ascii_only else _ANY_SCRIPT_GATES
    for (kind, pattern), (every, some) in zip(PATTERNS, gates):
        if kind in _NEEDS_DIGIT and not has_digit:
            continue
        if not all(map(text.__contains__, every)) or not any(map(text.__contains__, some)):
            continue
        for m in pattern.finditer(text):
            if not _starts_word(text, kind, m.start()):
                continue
            when = _resolve(kind, m, sent)
            if when is None:
                continue
            days = (when - sent).days
            if days < 0 or days > MAX_AHEAD_DAYS:
                continue
            phrase = m.group(0).strip().rstrip(".")
            cue = CUES.search(_sentence_around(text, m.start(), m.start() + len(phrase)))
            found.append(Deadline(when, days, phrase, cue.group(0) if cue else None))
    return found


def nearest_deadline(text: str, sent: date) -> Deadline | None:
    """The nearest future date that reads as a deadline (its sentence has a cue)."""
    cued = [d for d in find_deadlines(text, sent) if d.cue]
    return min(cued, key=lambda d: d.days) if cued else None
