"""The optional NER hook: off by default, injected recognisers feed persons and places, and a missing
camel-tools model gives a clear instruction instead of a crash deep in an import."""

from __future__ import annotations

import builtins

import pytest

from extractors.facts.pipeline import extract_article
from extractors.mentions import ner


class FakeRecogniser:
    """Labels the tokens of known names like camel-tools' NERecognizer.predict_sentence does (BIO)."""

    def __init__(self, persons: set[str], places: set[str]) -> None:
        self.persons, self.places = persons, places

    def predict_sentence(self, sentence: list[str]) -> list[str]:
        labels, prev = [], ""
        for tok in sentence:
            kind = "PERS" if tok in self.persons else "LOC" if tok in self.places else ""
            labels.append("O" if not kind else ("I-" if prev == kind else "B-") + kind)
            prev = kind
        return labels


TEXT = "عنوان الخبر\nقال سامر حداد إن الشحنة وصلت.\nواجتمع الوفدان أمس في طرطوس لبحث التعاون العسكري."


@pytest.fixture(autouse=True)
def _reset():
    yield
    ner.set_recogniser(None)


def test_off_by_default_no_name_without_title(monkeypatch) -> None:
    monkeypatch.delenv("MIRSAD_NER", raising=False)
    ner._loaded = False
    ex = extract_article(TEXT, source_file="a.txt")
    assert [s.speaker_name for s in ex.statements] == [None]


def test_injected_recogniser_adds_person_and_place() -> None:
    ner.set_recogniser(FakeRecogniser({"سامر", "حداد"}, {"طرطوس"}))
    ex = extract_article(TEXT, source_file="a.txt")
    assert [s.speaker_name for s in ex.statements] == ["سامر حداد"]
    meeting = [e for e in ex.events if e.event_type == "meeting"]
    assert meeting and meeting[0].location_text == "طرطوس"


def test_missing_camel_model_says_how_to_install(monkeypatch) -> None:
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "camel_tools.ner":
            raise FileNotFoundError("catalogue not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    monkeypatch.setenv("MIRSAD_NER", "camel")
    ner._loaded = False
    with pytest.raises(ner.NerUnavailable, match="camel_data -i ner-arabert"):
        ner.recogniser()


def test_unknown_choice_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("MIRSAD_NER", "spacy")
    ner._loaded = False
    with pytest.raises(ner.NerUnavailable, match="unknown MIRSAD_NER"):
        ner.recogniser()
