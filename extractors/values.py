"""Base classes of the small value objects in the compiled modules.

They are plain classes, not dataclasses: mypyc builds a dataclass through its generated, interpreted
``__init__`` (see compiled.py). A subclass lists its fields in ``_fields``; equality and ``repr`` follow from it,
as a dataclass's would.
"""

from __future__ import annotations


class Value:
    """Equal to another object of the same class with equal ``_fields()``; mutable, so not hashable."""

    __slots__ = ()

    def _fields(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and type(other) is type(self) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return type(self).__name__ + repr(self._fields())


class FrozenValue(Value):
    """A Value never changed once built: hashable by its fields."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]  # Value is unhashable; a frozen value is not
        return hash(self._fields())
