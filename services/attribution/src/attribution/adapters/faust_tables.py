"""A faust table seen as a `MutableMapping` of domain states, stored as JSON text.

The join's stages read and write their states through this port. Faust writes
every assignment to the table's changelog (on the partition of the event being
processed), and rebuilds the table from it after a restart or rebalance.
Parsed states are cached: this worker is the only writer of its partitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, Generic, TypeVar

__all__ = ["JsonTable"]

T = TypeVar("T")


class JsonTable(MutableMapping[str, T], Generic[T]):
    """States of type T in a faust table of bytes keys and bytes (JSON) values."""

    def __init__(self, table: Any, dump: Callable[[T], str], load: Callable[[bytes], T]) -> None:
        self._table = table
        self._dump = dump
        self._load = load
        self._cache: dict[str, T] = {}

    def forget(self) -> None:
        """Drop the parsed copies (after a rebalance the table is the truth)."""
        self._cache.clear()

    def __getitem__(self, key: str) -> T:
        if key in self._cache:
            return self._cache[key]
        raw = self._table[key.encode()]
        if raw is None:
            raise KeyError(key)
        value = self._load(raw)
        self._cache[key] = value
        return value

    def __setitem__(self, key: str, value: T) -> None:
        self._table[key.encode()] = self._dump(value).encode()
        self._cache[key] = value

    def __delitem__(self, key: str) -> None:
        del self._table[key.encode()]
        self._cache.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return (k.decode() for k in self._table)

    def __len__(self) -> int:
        return len(self._table)
