"""Lookahead guards for the branches of a large regex alternation (the date master regex).

At every place it is tried, an alternation enters its branches one after the other, and a branch that starts
with optional parts (a weekday, "يوم", a part of the day ...) costs several steps to fail. A guard put before a
branch, ``(?=...)``, lists what the branch's first ``k`` characters can be, so a branch that cannot start
there fails after one cheap test.

The guard is derived from the branch's own parsed pattern (``re._parser``, the parser behind ``re.compile``):
the possible first ``k`` characters, each kept as the one-character pattern the branch has there (a literal
or a class, with the branch's IGNORECASE flag). A lookahead that the branch itself would satisfy never
rejects a match of the branch, so the alternation matches exactly as before; only failing branches fail
sooner. Whatever the analysis does not know (a back reference before the ``k``-th character, a flag other
than IGNORECASE, too many prefixes, a Python without ``re._parser``) gives no guard: the branch as written.
"""

from __future__ import annotations

import re
from typing import Any

try:  # the parser of the re module (Python 3.11+); without it no branch gets a guard
    from re import _constants as _C
    from re import _parser as _P
except ImportError:  # pragma: no cover
    _C = _P = None  # type: ignore[assignment]

MAX_PREFIXES = 4000  # more possible prefixes than this: no guard (the guard would cost more than it saves)

Prefix = tuple[str, ...]  # one-character patterns


class _Unknown(Exception):
    """A construct the analysis does not follow: the branch gets no guard."""


def _char_pattern(op: Any, av: Any, ignorecase: bool) -> str | None:
    """The one-character pattern of a literal or class node, or None for other nodes."""
    if op is _C.LITERAL:
        s = re.escape(chr(av))
    elif op is _C.NOT_LITERAL:
        s = f"[^{re.escape(chr(av))}]"
    elif op is _C.ANY:
        s = "."
    elif op is _C.IN:
        parts, negate = [], False
        categories = {_C.CATEGORY_DIGIT: r"\d", _C.CATEGORY_NOT_DIGIT: r"\D", _C.CATEGORY_SPACE: r"\s",
                      _C.CATEGORY_NOT_SPACE: r"\S", _C.CATEGORY_WORD: r"\w", _C.CATEGORY_NOT_WORD: r"\W"}
        for item_op, item in av:
            if item_op is _C.NEGATE:
                negate = True
            elif item_op is _C.LITERAL:
                parts.append(re.escape(chr(item)))
            elif item_op is _C.RANGE:
                parts.append(f"{re.escape(chr(item[0]))}-{re.escape(chr(item[1]))}")
            elif item_op is _C.CATEGORY and item in categories:
                parts.append(categories[item])
            else:
                raise _Unknown(item_op)
        s = "[" + ("^" if negate else "") + "".join(parts) + "]"
    else:
        return None
    return f"(?i:{s})" if ignorecase else s


def _sequence(items: Any, k: int, ignorecase: bool) -> set[Prefix]:
    """Possible first ``k`` characters of a sequence of nodes; a prefix shorter than ``k`` is one after which
    the sequence may end."""
    done: set[Prefix] = set()
    open_: set[Prefix] = {()}
    for op, av in items:
        grown: set[Prefix] = set()
        first = _node(op, av, k, ignorecase)
        for prefix in open_:
            for more in first:
                grown.add((prefix + more)[:k])
        done |= {p for p in grown if len(p) >= k}
        open_ = {p for p in grown if len(p) < k}
        if len(done) + len(open_) > MAX_PREFIXES:
            raise _Unknown("too many prefixes")
        if not open_:
            break
    return done | open_


def _node(op: Any, av: Any, k: int, ignorecase: bool) -> set[Prefix]:
    char = _char_pattern(op, av, ignorecase)
    if char is not None:
        return {(char,)}
    if op in (_C.ASSERT, _C.ASSERT_NOT, _C.AT):  # zero-width: they only narrow where the rest matches
        return {()}
    if op is _C.SUBPATTERN:
        _group, add_flags, del_flags, items = av
        if del_flags or add_flags & ~_C.SRE_FLAG_IGNORECASE:
            raise _Unknown("flags")
        return _sequence(items, k, ignorecase or bool(add_flags & _C.SRE_FLAG_IGNORECASE))
    if op is _C.BRANCH:
        out: set[Prefix] = set()
        for alternative in av[1]:
            out |= _sequence(alternative, k, ignorecase)
        return out
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        lo, hi, items = av
        one = _sequence(items, k, ignorecase)
        # the prefixes of r repetitions, r = 0, 1, ...: once all are k long, or a repetition adds nothing,
        # every later count gives the same prefixes
        result: set[Prefix] = set()
        current: set[Prefix] = {()}
        count = 0
        while True:
            if count >= lo:
                result |= current
            if count >= hi:
                break
            if all(len(p) >= k for p in current):
                result |= current
                break
            grown = {(a + b)[:k] for a in current for b in one}
            count += 1
            if grown == current:
                result |= current
                break
            current = grown
            if len(current) > MAX_PREFIXES:
                raise _Unknown("too many prefixes")
        return result
    raise _Unknown(op)  # back references, conditionals, atomic groups, possessive repeats ...


def _alternation(prefixes: set[Prefix]) -> str:
    """The prefixes as one pattern, factored by their first characters."""
    trie: dict[str, Any] = {}
    for prefix in prefixes:
        node = trie
        for char in prefix:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        if "" in node:  # a shorter prefix already accepts whatever follows
            return ""
        alternatives = [char + build(child) for char, child in sorted(node.items())]
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    pattern = build(trie)
    # adjacent one-character IGNORECASE groups as one: (?i:a)(?i:p) -> (?i:ap)
    merged = re.sub(r"\(\?i:([^()]+)\)\(\?i:([^()]+)\)", r"(?i:\1\2)", pattern)
    while merged != pattern:
        pattern = merged
        merged = re.sub(r"\(\?i:([^()]+)\)\(\?i:([^()]+)\)", r"(?i:\1\2)", pattern)
    return pattern


def branch_guard(pattern: str, k: int = 3) -> str:
    """``(?=...)`` that every string ``pattern`` matches satisfies at its start (the possible first ``k``
    characters), or "" when the analysis cannot tell (see the module doc). ``pattern`` is compiled with no
    global flags other than the default (Unicode)."""
    if _P is None:
        return ""
    try:
        prefixes = _sequence(list(_P.parse(pattern)), k, False)
    except (_Unknown, re.error, RecursionError):
        return ""
    if () in prefixes:  # the branch may match the empty string
        return ""
    return "(?=" + _alternation(prefixes) + ")"
