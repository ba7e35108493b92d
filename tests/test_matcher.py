"""The phrase matcher: longest match, earliest-listed entry on ties, clitics on the first and later words."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from extractors.text.matcher import Match, PhraseMatcher, phrase_key
from extractors.text.tokens import Token, tokens_of

ROOT = Path(__file__).resolve().parents[1]


def _strip(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


def reference_match(entries: list[tuple[tuple[str, ...], Any]], toks: list[Token], i: int,
                    allow_prefix: bool = True, prefixes: frozenset[str] | None = None) -> tuple | None:
    """The definition, entry by entry: for each reading of the first token, the longest listed phrase whose
    later words equal the tokens or hide under a tail proclitic; a later reading must be strictly longer."""
    best = None
    keys = toks[i].keys if allow_prefix else toks[i].keys[:1]
    for key0, prefix in keys:
        if prefixes is not None and prefix not in prefixes:
            continue
        listed = [(k, v) for k, v in entries if k and _strip(k[0]) == key0]
        listed.sort(key=lambda kv: -len(kv[0]))
        for key, value in listed:
            n = len(key)
            if best is not None and n <= best[1] - best[0]:
                break
            if i + n > len(toks):
                continue
            if all(toks[i + k].folded == key[k] or _strip(key[k]) in toks[i + k].tailset for k in range(1, n)):
                p = prefix[:-2] if prefix.endswith("ال") and key[0].startswith("ال") else prefix
                best = (i, i + n, value, p, key)
                break
    return best


def _as_tuple(m: Match | None) -> tuple | None:
    return None if m is None else (m.start, m.end, m.value, m.prefix, m.key)


ENTRIES = [
    ("جمهورية", "bare"),
    ("جمهورية مصر العربية", "EGY"),
    ("جمهورية مصر", "EGY-short"),
    ("الجمهورية الإسلامية الإيرانية", "IRN"),
    ("الجمهورية الإسلامية", "IRN-short"),
    ("جمهورية مصر العربية", "EGY-again"),  # listed twice: the first listing wins
    ("مجلس الأمن", "unsc"),
    ("مجلس الأمن القومي", "nsc"),
    ("طائرات مسيرة", "drones"),
]


@pytest.mark.parametrize("text, expected", [
    ("زار جمهورية مصر العربية أمس", (1, 4, "EGY", "")),
    ("وفي جمهورية مصر اليوم", (1, 3, "EGY-short", "")),
    ("وزار وفد الجمهورية الإسلامية الإيرانية", (2, 5, "IRN", "")),
    ("وقال مجلس الأمن القومي", (1, 4, "nsc", "")),
    ("بيان لمجلس الأمن", (1, 3, "unsc", "ل")),
    ("وبالطائرات المسيرة", (0, 2, "drones", "وبال")),
    ("والجمهورية وحدها", (0, 1, "bare", "وال")),
])
def test_longest_listed_phrase_wins(text: str, expected: tuple) -> None:
    matcher = PhraseMatcher(ENTRIES)
    toks = tokens_of(text)
    found = [m for m in (matcher.match_at(toks, i) for i in range(len(toks))) if m is not None]
    assert (found[0].start, found[0].end, found[0].value, found[0].prefix) == expected


def test_later_words_may_carry_article_or_waw() -> None:
    matcher = PhraseMatcher([("صواريخ باليستية", "bm")])
    assert matcher.find(tokens_of("صواريخ الباليستية"))[0].value == "bm"
    assert matcher.find(tokens_of("صواريخ وباليستية"))[0].value == "bm"
    assert matcher.find(tokens_of("صواريخ بباليستية")) == []  # ب is not a tail proclitic


def _texts() -> list[str]:
    files = sorted((ROOT / "examples" / "inbox").glob("*.txt")) + sorted((ROOT / "tests" / "fixtures").rglob("*.txt")) \
        + sorted((ROOT.parent / "shared" / "corpus" / "inbox").glob("*.txt"))  # real pages where present
    return [p.read_text(encoding="utf-8", errors="replace") for p in files]


def test_every_lexicon_matches_as_defined_on_the_bundled_texts() -> None:
    """Every production lexicon, at every token of every bundled text, gives what the entry-by-entry
    definition gives (the trie is only an index)."""
    from extractors.facts import events, statements, transfers
    from extractors.mentions import actors, items, persons

    def matchers_in(obj: Any) -> list[PhraseMatcher]:
        if isinstance(obj, PhraseMatcher):
            return [obj]
        if dataclasses.is_dataclass(obj):
            return [m for f in dataclasses.fields(obj) for m in matchers_in(getattr(obj, f.name))]
        return []

    builders = [actors._matcher, items._items, items._models, persons._roles, transfers._lex, statements._lex,
                events._triggers, events._blockers]
    lexicons = [(m.entries, {"allow_prefix": m.allow_prefix, "prefixes": m.prefixes})
                for b in builders for m in matchers_in(b())]
    assert len(lexicons) >= 11
    sentences = [line for text in _texts() for line in text.splitlines() if line.strip()]
    assert len(sentences) > 100
    checked = hits = 0
    for listed, kw in lexicons:
        matcher = PhraseMatcher(listed, **kw)
        keyed = [(phrase_key(p), v) for p, v in listed]
        firsts = {_strip(k[0]) for k, _ in keyed if k}
        for line in sentences:
            toks = tokens_of(line)
            for i, tok in enumerate(toks):
                if firsts.isdisjoint(tok.keyset):
                    assert matcher.match_at(toks, i) is None
                    continue
                got = _as_tuple(matcher.match_at(toks, i))
                assert got == reference_match(keyed, toks, i, kw.get("allow_prefix", True), kw.get("prefixes"))
                checked += 1
                hits += got is not None
    assert checked > 1000 and hits > 300


def test_a_lexicon_registered_after_tokenising_still_finds_its_words() -> None:
    """Token lists made before a lexicon existed carry no bit for it: they must fall back to the key test."""
    toks = tokens_of("وصلت شحنة من الزنابير الفضية إلى الميناء")
    late = PhraseMatcher([("زنبور فضي", "late-entry"), ("زنابير فضية", "late-entry")])
    assert late.could_match(toks)
    assert [m.value for m in late.find(toks)] == ["late-entry"]
    fresh = tokens_of("وصلت شحنة من الزنابير الفضية إلى الميناء")
    assert fresh.version > toks.version
    assert fresh.starts(late._firsts, late._bit) == toks.starts(late._firsts) == [3]
    assert not PhraseMatcher([("كلمة غائبة", 1)]).could_match(fresh)


def test_start_positions_by_lexicon_bits_equal_the_key_test() -> None:
    from extractors.mentions import actors, items

    lexicons = [actors._matcher(), items._items(), items._models()]
    for text in _texts()[:20]:
        for line in text.splitlines():
            toks = tokens_of(line)
            for m in lexicons:
                by_keys = [i for i, t in enumerate(toks) if not m._firsts.isdisjoint(t.keyset)]
                assert toks.starts(m._firsts, m._bit) == by_keys
                assert toks.may_start(m._firsts, m._bit) == bool(by_keys)
