"""Value objects keep a dataclass's contract: equality by fields within a class, hash only when frozen."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.mentions.actors import ActorMention
from extractors.mentions.dates import DateMention


def test_equal_by_fields_within_one_class() -> None:
    a = ActorMention(0, 1, "IRN", "state", "و")
    assert a == ActorMention(0, 1, "IRN", "state", "و")
    assert a != ActorMention(0, 1, "IRN", "state", "ب")
    assert a in [ActorMention(3, 4, "RUS", "state", ""), ActorMention(0, 1, "IRN", "state", "و")]
    assert repr(a) == "ActorMention(0, 1, 'IRN', 'state', 'و', None, False)"


def test_a_value_never_equals_its_bare_fields() -> None:
    d = DateMention(0, 1, "x", None, None, None, "vague")
    assert d == DateMention(0, 1, "x", None, None, None, "vague")
    assert d != d._fields() and d._fields() != d


def test_frozen_values_hash_by_fields_and_mutable_ones_do_not_hash() -> None:
    d1 = DateMention(3, 9, "الجمعة", "يوم", date(2024, 5, 3), "day", "relative")
    d2 = DateMention(3, 9, "الجمعة", "يوم", date(2024, 5, 3), "day", "relative")
    assert {d1, d2} == {d1} and hash(d1) == hash(d2)
    with pytest.raises(TypeError):
        hash(ActorMention(0, 1, "IRN", "state", ""))
