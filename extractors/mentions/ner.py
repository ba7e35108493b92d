"""Optional neural named-entity recognition (camel-tools' AraBERT NER), off by default.

``MIRSAD_NER=camel`` turns it on. Its PERS mentions add persons the title/role rules miss ("قال أحمد
سالم إن ..."); LOC mentions give events a place. The model is not bundled and cannot be downloaded on
machines without internet: install it with ``camel_data -i ner-arabert``. camel_tools.ner is imported lazily
(importing it fetches a catalogue), and a missing model raises ``NerUnavailable`` with that instruction.
Anything with camel-tools' interface — ``predict_sentence(list[str]) -> list[str]`` of BIO labels — can be
injected with ``set_recogniser`` (the tests use a fake one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from extractors.text.tokens import Token


class Recogniser(Protocol):
    def predict_sentence(self, sentence: list[str]) -> list[str]: ...


class NerUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class NerMention:
    start: int  # token index
    end: int
    label: str  # PERS | LOC | ORG | MISC


_recogniser: Recogniser | None = None
_loaded = False


def set_recogniser(recogniser: Recogniser | None) -> None:
    """Use ``recogniser`` for every following extraction (None turns NER off)."""
    global _recogniser, _loaded
    _recogniser, _loaded = recogniser, True


def load_camel_recogniser() -> Recogniser:
    try:
        from camel_tools.ner import NERecognizer  # noqa: PLC0415 - lazy on purpose, see module doc

        return NERecognizer.pretrained()
    except Exception as exc:  # the catalogue download or the model lookup failed
        raise NerUnavailable(
            "MIRSAD_NER=camel needs camel-tools' NER model, which is not installed "
            f"({type(exc).__name__}: {exc}). Install it with `camel_data -i ner-arabert` on a machine with "
            "internet access, or unset MIRSAD_NER."
        ) from exc


def recogniser() -> Recogniser | None:
    """The configured recogniser: injected, or from MIRSAD_NER (read once), or None."""
    global _recogniser, _loaded
    if not _loaded:
        choice = os.environ.get("MIRSAD_NER", "").strip().lower()
        if choice in ("", "0", "off", "none", "rules"):
            _recogniser = None
        elif choice == "camel":
            _recogniser = load_camel_recogniser()
        else:
            raise NerUnavailable(f"unknown MIRSAD_NER={choice!r}: use 'camel' or leave it unset")
        _loaded = True
    return _recogniser


def enabled() -> bool:
    return recogniser() is not None


def mentions(toks: list[Token]) -> list[NerMention]:
    """NER mentions of a tokenised sentence (empty when NER is off)."""
    rec = recogniser()
    if rec is None or not toks:
        return []
    labels = rec.predict_sentence([t.text for t in toks])
    out: list[NerMention] = []
    start, label = -1, ""
    for i, tag in enumerate([*labels, "O"]):
        kind = tag[2:] if len(tag) > 2 else ""
        if tag.startswith("B-") or tag == "O" or (tag.startswith("I-") and kind != label):
            if start >= 0:
                out.append(NerMention(start, i, label))
            start, label = (i, kind) if tag != "O" else (-1, "")
    return out
