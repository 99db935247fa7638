"""The safeguarding lexicon: hits, and the sentences that must not count."""

from __future__ import annotations

import pytest

from triage.classify.lexicon import counted, scan


@pytest.mark.parametrize("text", [
    "Honestly I can't go on.",
    "He's been hurting himself again, there are cuts on his arms.",
    "My ex turned up again last night and hit me.",
    "She said she wants to die.",
    "i dont feel safe at home anymore",
    "my daughter hasnt come home since yesterday she is 14",
    "Mrs Haigh hasn't been seen since Friday.",
    "The escort said it's their secret and has been touching her leg.",
    "I have my tablets saved up.",
    "The two little ones have been on their own since Thursday.",
    "Long letter about bins. My grandson said he doesn't see the point in being alive. Also the tree.",
])
def test_risk_sentences_are_hits(text: str) -> None:
    assert counted(scan(text)), f"no hit in {text!r}"


@pytest.mark.parametrize("text, status", [
    ("There are no safeguarding concerns and he is not suicidal.", "negated"),
    ("Our campaign raises awareness of suicide among young people nationally.", "policy"),
    ("Two years ago she was self-harming but she has been well since the move.", "past"),
])
def test_sentences_that_do_not_count(text: str, status: str) -> None:
    hits = scan(text)
    assert hits and not counted(hits)
    assert {h.status for h in hits} == {status}


@pytest.mark.parametrize("text", [
    "The paperwork is killing me.",
    "He is missing out on so much of his education.",
    "A car nearly hit my wife outside the school.",
    "He can't go on the bus on his own yet.",
    "The SALT and OT reports are missing entirely.",
    "Please find the deadline for the dead tree removal attached.",
])
def test_ordinary_phrases_are_not_hits(text: str) -> None:
    assert not counted(scan(text))


def test_hit_keeps_the_original_sentence_for_display() -> None:
    hits = counted(scan("Subject line\nMy Son Said He Wants To Die. Then other things."))
    assert hits[0].sentence == "My Son Said He Wants To Die."
