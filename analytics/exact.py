"""The exact check of a suppressed group of linked sums: which hidden counts every published
sum taken together pins to one value, by linear algebra over the feasible set (scipy), where
the interval propagation of analytics.disclosure only approaches it.

A count is pinned when it is constant on the set of values a reader cannot rule out: the
published sums (equations) and each hidden cell's range ('<k' 1..k-1, '..' k up, '–' 0..k-1).
That set's affine hull is cut out by the sums and by the range ends that hold in every
solution (the implicit equalities), so:

1. find the implicit equalities: maximise the slack of the range ends that may still be
   equalities, each slack at most 1; an end with slack in the optimum is not one (a point with
   slack exists); repeat with the others until the optimum is 0 (those left hold everywhere:
   averaging points would give each of them slack otherwise). A few LPs a group, not two a
   count as the attack's min and max (which took 1.2-2.4 s for a demo handoff group).
2. a count is pinned iff its unit vector lies in the row space of the sums and the implicit
   equalities: its row of the null space's basis is zero.

The LP attack of tests/e2e/web/test_suppression.py also rounds each bound to whole numbers (a
range of 0.6-1.4 is 1). Sums of counts over hierarchies and months have whole-number corners
here; the attack runs on the same pages to check it."""

from collections.abc import Sequence
from typing import Any

from analytics.disclosure import PRIMARY, SECONDARY, UNPUBLISHED, WITHDRAWN, Key, Relation

TOL = 1e-7


def load() -> None:
    """Import the solver now (some 0.25-0.3 s of scipy): for a process that will build a
    cube later and would rather not pay it then (the sink: at its close, after the last
    row, or in its first live snapshot). Imported lazily otherwise: most commands never
    build a cube."""
    import numpy.linalg  # noqa: F401
    import scipy.optimize
    import scipy.sparse  # noqa: F401


def pinned(relations: Sequence[Relation], counts: dict[Key, int], hidden: dict[Key, str],
           k: int) -> list[Key]:
    """The hidden counts from 1 up that the published sums pin to one value."""
    import numpy as np
    from scipy.sparse import csr_matrix

    cells = list(dict.fromkeys(key for r in relations for key in (r.parent, *r.children)))
    unknown = [key for key in cells if key in hidden]
    if not unknown:
        return []
    n = len(unknown)
    index = {key: i for i, key in enumerate(unknown)}
    # sum(children) - parent = 0, the shown cells moved to the right; sparse from the start
    # (a group of years of trend months has over a thousand hidden counts, and dense rows
    # cost more to build and convert than the LPs took to solve)
    rows: list[dict[int, float]] = []
    rhs = []
    for r in relations:
        row: dict[int, float] = {}
        known = 0.0
        for key, sign in ((r.parent, -1.0), *((c, 1.0) for c in r.children)):
            if key in index:
                row[index[key]] = row.get(index[key], 0.0) + sign
            else:
                known += sign * counts[key]
        row = {i: v for i, v in row.items() if v}
        if row:
            rows.append(row)
            rhs.append(-known)
    ranges: dict[str, tuple[float, float | None]] = {
        PRIMARY: (1.0, k - 1.0), SECONDARY: (float(k), None), WITHDRAWN: (0.0, k - 1.0),
        UNPUBLISHED: (0.0, None)}
    # the range ends: (cell, +1 for a lower end x >= v, -1 for an upper end x <= v, v)
    ends = [(i, 1.0, ranges[hidden[key]][0]) for i, key in enumerate(unknown)]
    ends += [(i, -1.0, hi) for i, key in enumerate(unknown)
             for hi in (ranges[hidden[key]][1],) if hi is not None]
    a_eq = csr_matrix(([v for row in rows for v in row.values()],
                       ([t for t, row in enumerate(rows) for _ in row],
                        [i for row in rows for i in row])), shape=(len(rows), n))
    b_eq = np.array(rhs, dtype=float)
    maybe = list(range(len(ends)))  # ends that may hold in every solution
    while maybe:
        found = _slack(a_eq, b_eq, ends, maybe, n)
        if found is None:
            return unknown[:1]  # no solution: the true counts are one, so a bug; keep nothing
        loose = {j for j, s in zip(maybe, found, strict=True) if s > TOL}
        if not loose:
            break
        maybe = [j for j in maybe if j not in loose]
    fixed = {ends[j][0] for j in maybe}  # an end that always holds fixes its cell
    free = _free(rows, fixed, n)
    return [key for i, key in enumerate(unknown)
            if not free[i] and counts[key] != 0 and hidden[key] != UNPUBLISHED]


def _free(rows: list[dict[int, float]], fixed: set[int], n: int) -> list[bool]:
    """Which counts some direction of the affine hull moves: the hull is cut out by the sums
    (`rows`) and a unit row for each `fixed` count. A count not fixed is free unless its unit
    vector lies in the row space, so the fixed counts' columns drop out of every row, and
    the rest splits into counts linked by rows, each part solved on its own: the null space
    of a part's rows, as the eigenvectors of its Gram matrix with eigenvalue 0 (a dense
    eigen-decomposition of every hidden count of a group at once cost 0.8 s of a 4 s build
    of years of trend; its parts are a few dozen counts)."""
    import numpy as np
    from numpy.linalg import eigh

    free = [i not in fixed for i in range(n)]
    left = [[i for i in row if i not in fixed] for row in rows]
    root = list(range(n))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for cols in left:
        for i in cols[1:]:
            a, b = find(cols[0]), find(i)
            if a != b:
                root[b] = a
    parts: dict[int, list[int]] = {}
    for t, cols in enumerate(left):
        if cols:
            parts.setdefault(find(cols[0]), []).append(t)
    for members in parts.values():
        cols = sorted({i for t in members for i in left[t]})
        at = {i: c for c, i in enumerate(cols)}
        block = np.zeros((len(members), len(cols)))
        for r, t in enumerate(members):
            for i in left[t]:
                block[r, at[i]] = rows[t][i]
        values, vectors = eigh(block.T @ block)
        basis = vectors[:, values <= 1e-9 * max(1.0, float(values.max(initial=0.0)))]
        moved = np.abs(basis).max(axis=1, initial=0.0) > 1e-7
        for c, i in enumerate(cols):
            free[i] = bool(moved[c])
    return free


def _slack(a_eq: Any, b_eq: Any, ends: list[tuple[int, float, float]], maybe: list[int],
           n: int) -> list[float] | None:
    """The slacks of the `maybe` ends in a solution that maximises their sum (each at most
    1), the other ends held as plain ranges; None if there is no solution."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack

    m = len(maybe)
    slot = {j: t for t, j in enumerate(maybe)}
    # variables: x (n), then one slack a maybe end; an end x_i >= v is -x_i + s <= -v
    # (sign +1), an end x_i <= v is x_i + s <= v (sign -1)
    c = np.concatenate([np.zeros(n), -np.ones(m)])
    row_of = [j for j, _ in enumerate(ends)] + [j for j in maybe]
    col_of = [e[0] for e in ends] + [n + slot[j] for j in maybe]
    val_of = [-e[1] for e in ends] + [1.0] * m
    a_ub = csr_matrix((val_of, (row_of, col_of)), shape=(len(ends), n + m))
    b_ub = np.array([-e[1] * e[2] for e in ends])
    eq = hstack([a_eq, csr_matrix((a_eq.shape[0], m))], format="csr") if a_eq.shape[0] else None
    bounds = [(None, None)] * n + [(0.0, 1.0)] * m
    got: Any = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=eq,
                       b_eq=b_eq if eq is not None else None, bounds=bounds, method="highs")
    if got.status != 0:
        return None
    return [float(s) for s in got.x[n:]]
