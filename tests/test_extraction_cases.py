"""The extractor against construction cases written independently of it (tests/fixtures/cases/*.yaml):
every transfer frame, statement form, event type, date form and segment layout of contract sections 2-6.
Anniversary dates ("الذكرى الثانية للغزو") are resolved by events, so they are tested in events.yaml."""

from __future__ import annotations

import pytest

from tests.case_runner import CHECKS, load_cases

KINDS = ["transfers", "statements", "events", "segments", "dates"]
PARAMS = [pytest.param(kind, case, id=f"{kind}:{case['id']}") for kind in KINDS for case in load_cases(kind)]


@pytest.mark.parametrize(("kind", "case"), PARAMS)
def test_case(kind: str, case: dict) -> None:
    result = CHECKS[kind](case)
    assert result.ok, "; ".join(result.problems)


def test_every_kind_has_cases() -> None:
    for kind in KINDS:
        assert len(load_cases(kind)) >= 20, kind
