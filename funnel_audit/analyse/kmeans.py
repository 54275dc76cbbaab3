"""k-means on sparse rows in NumPy (k-means++ starts, Lloyd iterations), for `topic_clusters`.

Rows are CSR arrays handled a chunk at a time, so no dense pages x terms matrix is ever built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHUNK = 1_000  # rows handled at a time, which bounds temporary memory
_N_INIT = 5
_MAX_ITER = 100


@dataclass(frozen=True, slots=True)
class Rows:
    """Sparse rows (CSR): row r has weights data[indptr[r]:indptr[r + 1]] at those indices."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @property
    def count(self) -> int:
        """Number of rows."""
        return len(self.indptr) - 1

    def dense(self, which: np.ndarray, size: int) -> np.ndarray:
        """Rows `which` as a dense (len(which) x size) array: only k-means++ picks go dense."""
        out = np.zeros((len(which), size))
        for j, r in enumerate(which):
            a, b = self.indptr[r], self.indptr[r + 1]
            out[j, self.indices[a:b]] = self.data[a:b]
        return out


def stack(parts: Sequence[Rows]) -> Rows:
    """Several Rows as one, in order (the CSR arrays joined, offsets shifted)."""
    offsets = np.cumsum([0] + [p.indptr[-1] for p in parts[:-1]])
    indptr = np.concatenate([[0]] + [p.indptr[1:] + o for p, o in zip(parts, offsets, strict=True)])
    return Rows(
        indptr.astype(np.int64),
        np.concatenate([p.indices for p in parts]),
        np.concatenate([p.data for p in parts]),
    )


def sq_distances(rows: Rows, centres: np.ndarray) -> np.ndarray:
    """Squared distances (rows x centres) as |x|^2 - 2 x.c + |c|^2, a chunk of rows at a time."""
    by_term = np.ascontiguousarray(centres.T, dtype=np.float32)
    out = np.empty((rows.count, len(centres)))
    for start in range(0, rows.count, CHUNK):
        stop = min(start + CHUNK, rows.count)
        a, b = rows.indptr[start], rows.indptr[stop]
        data = rows.data[a:b]
        dots = np.zeros((stop - start, len(centres)), np.float32)
        sq = np.zeros(stop - start, np.float32)
        filled = rows.indptr[start + 1 : stop + 1] > rows.indptr[start:stop]
        if b > a:
            starts = rows.indptr[start:stop][filled] - a
            dots[filled] = np.add.reduceat(by_term[rows.indices[a:b]] * data[:, None], starts)
            sq[filled] = np.add.reduceat(data * data, starts)
        out[start:stop] = sq[:, None] - 2 * dots
    out += np.einsum("ij,ij->i", centres, centres)
    return np.maximum(out, 0, out=out)


def nearest(rows: Rows, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's closest centre and its squared distance to it."""
    dist = sq_distances(rows, centres)
    labels = np.argmin(dist, axis=1)
    return labels, dist[np.arange(len(labels)), labels]


def kmeans(rows: Rows, k: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Centres (k x size) of the best of several k-means runs (lowest inertia)."""
    best: tuple[float, np.ndarray] | None = None
    for _ in range(_N_INIT):
        inertia, centres = _lloyd(rows, _plus_plus(rows, k, size, rng))
        if best is None or inertia < best[0]:
            best = (inertia, centres)
    assert best is not None
    return best[1]


def _plus_plus(rows: Rows, k: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++: each new centre is the best of a few candidates drawn by distance."""
    trials = 2 + int(math.log(k))
    chosen = [int(rng.integers(rows.count))]
    closest = sq_distances(rows, rows.dense(np.array(chosen), size))[:, 0]
    for _ in range(1, k):
        cumulative = np.cumsum(closest)
        picks = np.searchsorted(cumulative, rng.random(trials) * cumulative[-1])
        picks = np.minimum(picks, rows.count - 1)
        dist = np.minimum(sq_distances(rows, rows.dense(picks, size)), closest[:, None])
        pick = int(np.argmin(dist.sum(axis=0)))
        chosen.append(int(picks[pick]))
        closest = dist[:, pick]
    return rows.dense(np.array(chosen), size)


def _lloyd(rows: Rows, centres: np.ndarray) -> tuple[float, np.ndarray]:
    """Lloyd iterations until no row changes cluster; returns (inertia, centres)."""
    k, size = centres.shape
    row_of = np.repeat(np.arange(rows.count), np.diff(rows.indptr))
    labels, dist = nearest(rows, centres)
    for _ in range(_MAX_ITER):
        counts = np.bincount(labels, minlength=k)
        empty = np.flatnonzero(counts == 0)
        if len(empty):
            # an empty cluster takes over the point that lies farthest from its current centre
            labels = labels.copy()
            farthest = np.argsort(-dist, kind="stable")[: len(empty)]
            labels[farthest] = empty[: len(farthest)]
            counts = np.bincount(labels, minlength=k)
        sums = np.bincount(
            labels[row_of] * size + rows.indices, weights=rows.data, minlength=k * size
        ).reshape(k, size)
        filled = counts > 0
        centres = centres.copy()
        centres[filled] = sums[filled] / counts[filled, None]
        previous = labels
        labels, dist = nearest(rows, centres)
        if np.array_equal(labels, previous):
            break
    return float(dist.sum()), centres
