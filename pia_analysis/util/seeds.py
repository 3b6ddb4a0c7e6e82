"""The Monte Carlo seed of one affair of one body: the same whatever the backend, the worker or the order.

A portfolio of many cities is run in parallel over processes or on a Dask cluster (``docs/city.md``); its
results must be identical bit for bit whatever the number of workers. A seed drawn per worker, or a
generator shared by the tasks, would make each affair's draws depend on which worker ran it and what ran
before. The seed is therefore a function of the run's seed and the affair's identity only: the body's name
and the affair's id, hashed with SHA-256 (stable across processes and Python versions, unlike ``hash()``,
which is salted per process).
"""

from __future__ import annotations

__all__ = ["affair_seed"]

import hashlib

from .errors import InvalidArgumentError

# the seed fits numpy's SeedSequence and every integer column it is written to
_SEED_BITS = 63


def affair_seed(seed: int, organisation: str, affair_id: str) -> int:
    """The seed of one affair's Monte Carlo draws in a run seeded with ``seed``.

    Parameters
    ----------
    seed
        The run's seed (a non-negative integer, e.g. ``analyse``'s ``seed``).
    organisation
        The body's name as in ``city.yaml`` (``organisation``).
    affair_id
        The affair's id in ``city.yaml``.

    Returns
    -------
    int
        A non-negative integer below 2**63, the same for the same three values in every process.

    Raises
    ------
    InvalidArgumentError
        If ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> from pia_analysis.util.seeds import affair_seed
    >>> affair_seed(0, "緑ヶ丘市", "juki") == affair_seed(0, "緑ヶ丘市", "juki")
    True
    >>> affair_seed(0, "緑ヶ丘市", "juki") != affair_seed(0, "緑ヶ丘市", "zei")
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgumentError(f"seed must be a non-negative integer, not {seed!r}")
    # a separator no id or name contains keeps ("a", "bc") apart from ("ab", "c")
    key = "\x1f".join((str(seed), str(organisation), str(affair_id))).encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") >> (64 - _SEED_BITS)
