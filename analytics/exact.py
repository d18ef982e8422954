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
    from numpy.linalg import eigh
    from scipy.optimize import linprog

    cells = list(dict.fromkeys(key for r in relations for key in (r.parent, *r.children)))
    unknown = [key for key in cells if key in hidden]
    if not unknown:
        return []
    n = len(unknown)
    index = {key: i for i, key in enumerate(unknown)}
    rows = []
    rhs = []
    for r in relations:  # sum(children) - parent = 0, the shown cells moved to the right
        row = np.zeros(n)
        known = 0.0
        for key, sign in ((r.parent, -1.0), *((c, 1.0) for c in r.children)):
            if key in index:
                row[index[key]] += sign
            else:
                known += sign * counts[key]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    ranges: dict[str, tuple[float, float | None]] = {
        PRIMARY: (1.0, k - 1.0), SECONDARY: (float(k), None), WITHDRAWN: (0.0, k - 1.0),
        UNPUBLISHED: (0.0, None)}
    # the range ends: (cell, +1 for a lower end x >= v, -1 for an upper end x <= v, v)
    ends = [(i, 1.0, lo) for i, key in enumerate(unknown)
            for lo in (ranges[hidden[key]][0],)]
    ends += [(i, -1.0, hi) for i, key in enumerate(unknown)
             for hi in (ranges[hidden[key]][1],) if hi is not None]
    a_eq = np.array(rows) if rows else np.zeros((0, n))
    b_eq = np.array(rhs) if rhs else np.zeros(0)
    maybe = list(range(len(ends)))  # ends that may hold in every solution
    while maybe:
        found = _slack(a_eq, b_eq, ends, maybe, n, linprog)
        if found is None:
            return unknown[:1]  # no solution: the true counts are one, so a bug; keep nothing
        loose = {j for j, s in zip(maybe, found, strict=True) if s > TOL}
        if not loose:
            break
        maybe = [j for j in maybe if j not in loose]
    tight = []
    for j in maybe:  # each end that always holds fixes its cell: a unit row
        row = np.zeros(n)
        row[ends[j][0]] = 1.0
        tight.append(row)
    hull = np.vstack([a_eq, *tight]) if tight else a_eq
    if hull.shape[0] == 0:
        return []
    # the null space of the hull's rows: the eigenvectors of its Gram matrix (n x n, n the
    # hidden counts) with eigenvalue 0; a count is free if some such direction moves it
    values, vectors = eigh(hull.T @ hull)
    basis = vectors[:, values <= 1e-9 * max(1.0, float(values.max(initial=0.0)))]
    free = np.abs(basis).max(axis=1, initial=0.0) > 1e-7
    return [key for i, key in enumerate(unknown)
            if not free[i] and counts[key] != 0 and hidden[key] != UNPUBLISHED]


def _slack(a_eq: Any, b_eq: Any, ends: list[tuple[int, float, float]], maybe: list[int],
           n: int, linprog: Any) -> list[float] | None:
    """The slacks of the `maybe` ends in a solution that maximises their sum (each at most
    1), the other ends held as plain ranges; None if there is no solution."""
    import numpy as np
    from scipy.sparse import csr_matrix

    m = len(maybe)
    slot = {j: t for t, j in enumerate(maybe)}
    # variables: x (n), then one slack a maybe end
    c = np.concatenate([np.zeros(n), -np.ones(m)])
    a_ub = []
    b_ub = []
    for j, e in enumerate(ends):
        i, sign, v = e
        row = np.zeros(n + m)
        row[i] = -sign  # sign=+1: x_i >= v  ->  -x_i + s <= -v
        if j in slot:
            row[n + slot[j]] = 1.0
        a_ub.append(row)
        b_ub.append(-sign * v)
    eq = np.hstack([a_eq, np.zeros((a_eq.shape[0], m))]) if a_eq.shape[0] else None
    bounds = [(None, None)] * n + [(0.0, 1.0)] * m
    got: Any = linprog(c, A_ub=csr_matrix(np.array(a_ub)), b_ub=np.array(b_ub),
                       A_eq=None if eq is None else csr_matrix(eq),
                       b_eq=b_eq if eq is not None else None, bounds=bounds, method="highs")
    if got.status != 0:
        return None
    return [float(s) for s in got.x[n:]]
