"""Clusters from scored pairs, guarded against chaining.

Plain transitive closure of "merge" links lets one wrong or weak link glue two
firms together (A~B strongly, B~C strongly, but A and C are different firms
sharing a brand). Instead clusters grow by average linkage with cannot-links:

* links are taken strongest first;
* two clusters join only when no pair across them breaks a hard rule
  (cannot-link), no single pair across them scores below ``VETO`` (clear
  contrary evidence from any member vetoes), and the *average* score over all
  pairs across them reaches ``AVERAGE`` (the link is strong with respect to
  the members, not just the two records that made it);
* pairs across two clusters that were never candidates are scored on demand
  (clusters are small, so this is cheap).
"""

from collections.abc import Callable

VETO = -6.0  # a cross pair scoring below this (log-odds) vetoes a merge
AVERAGE = 0.0  # mean cross-pair score needed to join (None: the merge threshold)
_MAX_CROSS = 400  # beyond this many cross pairs, judge on the known links only


class _Clusters:
    """Union-find whose roots also keep their member lists."""

    def __init__(self, n: int):
        self.parent = list(range(n))
        self.members = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members.pop(b))


def cluster(
    n: int,
    links: dict[tuple[int, int], tuple[float, bool]],
    judge: Callable[[int, int], tuple[float, bool]],
    merge_threshold: float,
    veto: float | None = None,
    average: float | None = None,
) -> list[int]:
    """A cluster number for each of ``n`` items.

    ``links`` maps (i, j) with i < j to (score, blocked) for every scored
    candidate pair; ``judge(i, j)`` scores a pair that was not a candidate.
    ``blocked`` is True when a hard rule forbids merging the pair.
    """
    clusters = _Clusters(n)
    veto = VETO if veto is None else veto
    average = average if average is not None else (
        AVERAGE if AVERAGE is not None else merge_threshold)

    def pair(i: int, j: int) -> tuple[float, bool]:
        key = (i, j) if i < j else (j, i)
        known = links.get(key)
        if known is None:
            known = judge(*key)
            links[key] = known
        return known

    strong = sorted(((s, k) for k, (s, blocked) in links.items()
                     if s >= merge_threshold and not blocked), reverse=True)
    for _, (i, j) in strong:
        a, b = clusters.find(i), clusters.find(j)
        if a == b:
            continue
        left, right = clusters.members[a], clusters.members[b]
        if len(left) == 1 and len(right) == 1:
            clusters.union(a, b)
            continue
        if _may_join(left, right, pair, links, veto, average):
            clusters.union(a, b)
    return [clusters.find(i) for i in range(n)]


def _may_join(left, right, pair, links, veto, average) -> bool:
    if len(left) * len(right) > _MAX_CROSS:
        # huge clusters: judge on the links already scored, never on new ones
        cross = (links[k] for x in left for y in right
                 if (k := (x, y) if x < y else (y, x)) in links)
    else:
        # lazily: the first veto ends it, and the pairs after it need no scoring
        cross = (pair(x, y) for x in left for y in right)
    total, count = 0.0, 0
    for value, blocked in cross:
        if blocked or value < veto:
            return False
        total += value
        count += 1
    return count > 0 and total / count >= average
