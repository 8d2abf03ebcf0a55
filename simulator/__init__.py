"""A simulated landing zone of raw chat logs (web widget and WhatsApp), for demos, tests and
benchmarks; not part of the production path (the pipeline never imports it: only the
``chatwh simulate`` and ``chatwh demo`` commands, the benchmarks and the tests do).

``simulate(out, start, days, users, seed)`` writes the files described in ``writer.py``:
the lines of ``web.py`` and ``whatsapp.py``, from the people and sessions of
``population.py``, delivered late, twice or spoilt as ``faults.py`` says, in the shape of
``params.py`` (``SHAPES``: ``default``, ``many-users``).

**Volume** (measured, default shape). About 8 interactions per user over 365 days (6.2 for
90 days, 5.1 for 30 days), about 3 lines and 1.2 KB (uncompressed) per interaction: for
1 M / 10 M / 100 M interactions in a year take ``users`` = 125 000 / 1 250 000 / 12 500 000
(the summary's ``messages`` is the exact figure). About 15 s per million interactions on
2 cores.

**Determinism.** The same arguments give byte-identical files: every random decision comes
from a generator seeded by (seed, what, where) or from a hash of a row's integer id.
"""

from .params import SHAPES, Params
from .simulation import SimulationSummary, simulate
from .world import SEED_ASSISTANTS

__all__ = ["SEED_ASSISTANTS", "SHAPES", "Params", "SimulationSummary", "simulate"]
