"""The answer cache of one serving snapshot: a snapshot never changes, so neither do its answers.

A question (the view and its normalized parameters) asked twice of the same snapshot has
the same answer, byte for byte: the second time it is taken from here instead of DuckDB,
which helps the questions people repeat (the page's presets, a reload, the colleagues of
one client looking at the same week). The cache belongs to the snapshot (``Snapshot``), so
it goes when the server switches to a new build, and it holds at most ``MAX_ANSWERS``
answers, the least recently used leaving first. Keys are looked up *after* the caller's
key was checked against the assistant (app.py): a cached answer is never a way around it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

MAX_ANSWERS = 4096  # about 1 KiB each for a sessions or dashboard answer, 30 for a daily year


class Answers:
    """A bounded, thread-safe map from a question to its encoded answer (JSON bytes)."""

    def __init__(self, limit: int = MAX_ANSWERS) -> None:
        self.limit = limit
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def held(self, question: Hashable) -> bytes | None:
        """The answer to ``question`` if it was kept, else ``None``."""
        with self._lock:
            answer = self._answers.get(question)
            if answer is not None:
                self._answers.move_to_end(question)
            return answer

    def keep(self, question: Hashable, answer: bytes) -> None:
        """Hold ``answer`` (two requests may compute the same one: both are equal)."""
        with self._lock:
            self._answers[question] = answer
            self._answers.move_to_end(question)
            while len(self._answers) > self.limit:
                self._answers.popitem(last=False)
