"""Levenshtein edit distance, for the fuzzy matches of highlighting and the "did you mean"
of an unknown URL parameter."""

from __future__ import annotations


def edit_distance(a: str, b: str) -> int:
    """The fewest single-character insertions, deletions and substitutions from a to b."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
