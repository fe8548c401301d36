"""A frame's rows as read-only mappings that read a column only when a row asks for it: the shortlist has ~140
columns, and a popup or the site card reads ~25 of them (``to_dict``, ``iterrows`` or a boolean filter over every
column cost a tenth of a rerun)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd


class FrameRow(Mapping[str, Any]):
    """One row of a frame as a read-only mapping that reads a column only when asked for it (``rows_of``)."""

    def __init__(self, columns: _Columns, i: int) -> None:
        self._columns, self._i = columns, i

    def __getitem__(self, name: str) -> Any:
        return self._columns.get(name)[self._i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns.names)

    def __len__(self) -> int:
        return len(self._columns.names)

    def __contains__(self, name: object) -> bool:
        return name in self._columns.names


class _Columns:
    """A frame's columns as numpy arrays, each converted once, when a row first asks for it."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame, self.names, self._arrays = frame, [str(c) for c in frame.columns], dict[str, Any]()

    def get(self, name: str) -> Any:
        if name not in self._arrays:
            if name not in self.names:
                raise KeyError(name)
            self._arrays[name] = self._frame[name].to_numpy()
        return self._arrays[name]


def rows_of(frame: pd.DataFrame) -> list[FrameRow]:
    """The rows of ``frame`` as mappings (``row["score"]``, ``row.get("zone")``, ``"p_top_n" in row``) that read only
    the columns used: the shortlist has ~140 columns and a popup reads ~25 (``to_dict`` of every one was a tenth of a
    rerun)."""
    columns = _Columns(frame)
    return [FrameRow(columns, i) for i in range(len(frame))]
