"""Statistical disclosure control for everything a manager can see: one set of linked cells,
suppressed once and jointly.

Every figure the dashboard shows a manager is a cell here: a count of a cube (open gaps by type,
place and service; handoff contracts by place and status; ...) or a marginal of that same cube.
`relations` states every published sum: parent = sum(children). Suppression is

- primary: a count from 1 to k-1 is hidden, shown as '<k' (a reader knows 1 <= x <= k-1);
- secondary (complementary): while a published sum would give a hidden cell away, one more
  cell of that sum is hidden, shown as '..'. Only counts >= k are chosen, so a reader knows
  '..' >= k (and zeros stay shown: hiding one would protect nothing, and a reader could tell);
- withdrawn: where a sum has no cell >= k left to hide (a month's region total '<5' over four
  areas of '<5' says each is 1), its pinned small cells are not published at all, shown as '–',
  and so are the sum's zeros. A reader then knows that a '–' is 0 to k-1. (Zeros
  shown beside them told a reader that every '–' was at least 1, which pinned the four
  areas again: an attack on the published pages, 2026-12-03.) Published sums may still show
  a '–' to be 1 to k-1 (a '..' over two '–' cells; a withdrawn total whose one part is '<k':
  a hunt, 2026-12-06): that is what a '<k' says, no more, and the bounds and the exact check
  take it in, so it pins nothing. Never a pin is the promise; an interval as narrow as
  [1, 2] for a hidden count is not yet excluded (protection intervals, as tau-ARGUS sets
  them, would be the next step).

Withdrawal protects only where a '–' may be 0: every cell of a relation must be listed whatever
the data. A cell listed only where someone is in it is known to be at least 1, and k-1 such
cells under a withdrawn total are each 1 (the map listed its services so: an attack,
2026-12-05). The callers list every configured place and service.

One kind of cell is not a count a reader sees as such:

- unpublished: a sum no page shows, which other published figures determine all the same (the
  map's young people in NUPA in an area are its clients less those in KTT and SOSKU, which
  the overview shows). It is hidden from the start, known only to be >= 0, and never a leak
  itself: its relations let the bounds reach what a reader can derive through it.

"Would give away" is checked across all relations together, not per table: the bounds a reader
can derive are tightened over every relation until nothing changes (interval propagation, the
bound-tightening step of an LP), and a relation needs one more hidden cell when

- it holds exactly one hidden cell (plain subtraction), or
- a hidden cell of it has lower bound == upper bound (e.g. '<5' + '..' = 6 pins both at 1 and
  5; two '<5' cells that sum to 2 are both 1).

The LP audit in tests/e2e/web/test_suppression.py solves the whole published system (min and
max of every hidden cell) and checks that none is pinned; this module is the cheap runtime side
that makes it so (tau-ARGUS does the same split: a heuristic to choose cells, an audit to check).
"""

from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

INF = float("inf")
# The lean pattern takes one sum a step, each step a pass of the bounds over the whole group:
# its cost grows with the square of a group's cells. A larger group (years of trend months,
# a national file) gets the rounds' pattern, exactly checked and mended all the same.
LEAN_MAX_CELLS = 1_500
EXACT_TRIES = 4  # checks (each after mending the pinned counts) before the rounds decide
PRIMARY, SECONDARY, WITHDRAWN, UNPUBLISHED = "<", "..", "–", "·"
Key = Hashable


@dataclass(frozen=True)
class Relation:
    parent: Key
    children: tuple[Key, ...]


@dataclass(frozen=True)
class Suppressed:
    """The published face of the cells: each key's text ('17', '<5' or '..') and value (the
    count where shown, else None). The true counts of hidden cells are not kept here."""
    k: int
    text: dict[Key, str]

    def value(self, key: Key) -> int | None:
        t = self.text.get(key, "0")
        return int(t) if t.isdigit() else None

    def shown(self, key: Key) -> str:
        return self.text.get(key, "0")


def suppress(counts: dict[Key, int], relations: Sequence[Relation], k: int,
             max_rounds: int = 200, unpublished: Iterable[Key] = (),
             exact: bool = False) -> Suppressed:
    """Primary and secondary suppression of `counts`, totals included (the caller sums each
    total from its cells; a key missing from counts is 0 and published as 0). Returns the
    published texts (none for the `unpublished` cells). With `exact`, each group of linked
    sums gets the lean pattern where the exact check passes it (`_exactly`; groups of at
    most LEAN_MAX_CELLS cells), else the rounds' pattern, checked and mended the same way
    (a group of one sum needs no check: the bounds of one sum are exact, see `_frees`).
    scipy is a dependency, not an option: a
    build that fell back to the rounds without it would publish a second pattern of the same
    data, and two patterns together give counts away that neither does alone."""
    k = max(int(k), 1)
    for r in relations:  # every key of a relation is a cell
        for key in (r.parent, *r.children):
            counts.setdefault(key, 0)
    hidden: dict[Key, str] = {key: PRIMARY for key, n in counts.items() if 1 <= n < k}
    hidden.update({key: UNPUBLISHED for key in unpublished})
    # Sums that share no cell cannot give each other's cells away: each group of linked sums
    # (one gap type's places, one month's areas, the handoff) is protected on its own.
    for group in _linked(relations):
        keys = {key for r in group for key in (r.parent, *r.children)}
        if not any(hidden.get(key) not in (None, UNPUBLISHED) for key in keys):
            continue
        # the lean pattern, else the rounds', each checked exactly and mended where it pins
        # a count: the rounds' was taken unchecked where the lean one failed, and an LP
        # attack pinned two began counts in it (seed 14, 900 young people, mid-month,
        # k = 10: 2026-12-05); the rounds alone where neither passes. Every group is
        # checked, however large: years of trend months make a group of some 1,700 cells,
        # and where those had the rounds alone, a hunt (2026-12-06) pinned Oulu's service
        # breaks open at 44 month ends (77) through the region's total and the areas' open
        # gaps (seed 12, 500 young people, as of 2029-06-30).
        if exact and len(group) > 1 and (
                (len(keys) <= LEAN_MAX_CELLS and _exactly(group, counts, hidden, k, max_rounds))
                or _exactly(group, counts, hidden, k, max_rounds, lean=False)):
            continue
        _protect(group, counts, hidden, k, max_rounds)
    text = {key: (f"<{k}" if hidden.get(key) == PRIMARY else
                  hidden[key] if key in hidden else str(n)) for key, n in counts.items()
            if hidden.get(key) != UNPUBLISHED}
    return Suppressed(k, text)


def _linked(relations: Sequence[Relation]) -> list[list[Relation]]:
    """The relations grouped by shared cells (connected components)."""
    parent: dict[Key, Key] = {}

    def find(x: Key) -> Key:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in relations:
        root = find(r.parent)
        for c in r.children:
            other = find(c)
            if other != root:
                parent[other] = root
    groups: dict[Key, list[Relation]] = {}
    for r in relations:
        groups.setdefault(find(r.parent), []).append(r)
    return list(groups.values())


def _protect(relations: Sequence[Relation], counts: dict[Key, int], hidden: dict[Key, str],
             k: int, max_rounds: int, lean: bool = False) -> None:
    """Secondary suppression and withdrawal in one group of linked sums, in place.

    By rounds: every needy sum of a round gets its cell against the round's bounds. `lean`:
    one sum at a time, the finest (smallest total) first, each against bounds that know every
    cell hidden before it. Rounds hide partners for pins that finer sums' fixes of the same
    round have already undone: on a demo region the extra '..' chained up to every total of
    the handoff table (508 contracts shown as a row of '..'). The lean pattern is only kept
    where the exact check passes it (`_exactly`): the interval bounds here are weaker than
    an LP, and the rounds' extra cells were the margin (the LP attack recovered counts from
    a lean pattern it had not checked)."""
    by_cell = _sums_of(relations)
    # a lean step hides a new cell or turns a '<k' into '–': at most two a cell
    for _ in range(max(max_rounds, 2 * len(by_cell) + 2) if lean else max_rounds):
        lo, hi = _bounds(counts, relations, hidden, by_cell, k)
        needy = list(_needy(relations, hidden, lo, hi, by_cell, counts))
        if lean:
            needy.sort(key=lambda i: (counts[relations[i].parent], i))
        more: set[Key] = set()
        withdraw: set[Key] = set()
        for i in needy:
            _fix(i, relations, counts, hidden, lo, hi, by_cell, k, more, withdraw, lean)
            if lean and (more or withdraw):
                break
        if not more and not withdraw:
            return
        hidden.update({key: SECONDARY for key in more})
        hidden.update({key: WITHDRAWN for key in withdraw})


def _sums_of(relations: Sequence[Relation]) -> dict[Key, list[int]]:
    """Each cell's sums, by their index in `relations`."""
    by_cell: dict[Key, list[int]] = {}
    for i, r in enumerate(relations):
        for key in (r.parent, *r.children):
            by_cell.setdefault(key, []).append(i)
    return by_cell


def _zeros(r: Relation, counts: dict[Key, int], hidden: dict[Key, str]) -> list[Key]:
    """The shown zeros of sum r, withdrawn with a cell of it: among them a '–' may be 0,
    where a '–' beside a shown 0 is at least 1 (see the module's text)."""
    return [key for key in (r.parent, *r.children) if counts[key] == 0 and key not in hidden]


def _fix(i: int, relations: Sequence[Relation], counts: dict[Key, int], hidden: dict[Key, str],
         lo: dict[Key, float], hi: dict[Key, float], by_cell: dict[Key, list[int]], k: int,
         more: set[Key], withdraw: set[Key], lean: bool) -> None:
    """Add to `more` the cell to hide ('..') for needy sum i, or where none is left, to
    `withdraw` the cells to withdraw ('–'). Lean: a partner that frees the sum first (the
    rounds keep their first choice: the LP attack has passed their patterns as they are)."""
    r = relations[i]
    known = (lo, hi) if lean else (None, None)
    pick = _pick(r, counts, hidden, more, k, *known)
    if pick is None:  # through an unpublished sum: hide a cell of its other sums
        pick = next((got for key in (r.parent, *r.children)
                     if hidden.get(key) == UNPUBLISHED for j in by_cell[key] if j != i
                     if (got := _pick(relations[j], counts, hidden, more, k, *known))
                     is not None), None)
    if pick is not None:
        more.add(pick)
    elif not any(key in more for key in (r.parent, *r.children)):
        # the pinned parts first: the total then keeps its '<k'
        kids = [key for key in r.children if hidden.get(key) == PRIMARY]
        pinned = [key for key in kids if lo[key] >= hi[key]]
        if not pinned and hidden.get(r.parent) == PRIMARY:
            pinned = [r.parent]
        withdraw.update(pinned or kids[:1])  # one at a time: the next round sees it
        withdraw.update(_zeros(r, counts, hidden))


def _exactly(relations: Sequence[Relation], counts: dict[Key, int], hidden: dict[Key, str],
             k: int, max_rounds: int, lean: bool = True) -> bool:
    """The lean pattern of one group (or with `lean` False the rounds'), checked exactly
    (analytics.exact) and mended where the check pins a count: a partner hidden in a sum of
    it (or, where each of its sums is hidden through, in a sum beside them), and the steps
    again. Updates `hidden` and returns True if a pattern passed within EXACT_TRIES checks
    (the rounds', the last resort, four times as many); else leaves `hidden` as it was."""
    from analytics import exact

    trial = dict(hidden)
    by_cell = _sums_of(relations)
    for _ in range(EXACT_TRIES if lean else 4 * EXACT_TRIES):
        _protect(relations, counts, trial, k, max_rounds, lean=lean)
        pins = exact.pinned(relations, counts, trial, k)
        if not pins:
            hidden.update({key: trial[key] for key in by_cell if key in trial})
            return True
        mended: set[Key] = set()
        for key in pins:
            # a pin in a sum that has a new '..' of this pass may be freed by it (the next
            # check says): the region's month total hidden frees all its areas at once
            if any(c in mended for j in by_cell[key]
                   for c in (relations[j].parent, *relations[j].children)):
                continue
            near = dict.fromkeys([*by_cell[key], *(
                j2 for j in by_cell[key] for c in (relations[j].parent, *relations[j].children)
                for j2 in by_cell[c])])
            got = next((got for j in near
                        if (got := _pick(relations[j], counts, trial, set(), k)) is not None),
                       None)
            if got is not None:
                trial[got] = SECONDARY
                mended.add(got)
            elif trial[key] == PRIMARY:  # nothing left to hide beside it: as the rounds do
                trial[key] = WITHDRAWN
                trial.update({c: WITHDRAWN for j in by_cell[key]
                              for c in _zeros(relations[j], counts, trial)})
                mended.add(key)
        if not mended:
            return False  # the rounds' pattern instead
    return False


def _needy(relations: Sequence[Relation], hidden: dict[Key, str], lo: dict[Key, float],
           hi: dict[Key, float], by_cell: dict[Key, list[int]], counts: dict[Key, int]
           ) -> Iterable[int]:
    """Relations that need one more hidden cell. Only a count from 1 up needs protecting: an
    unpublished sum derived is no leak (what it pins is), and neither is a withdrawn zero
    (the bounds of the cells beside it take its value in; protecting it too hid most of a
    small handoff table)."""
    def guarded(key: Key) -> bool:
        return hidden[key] != UNPUBLISHED and counts[key] != 0

    # a list in the bounds' order (the relations'), not a set: a set of keys iterates in the
    # order of their string hashes, which differ per process, and the cells picked would then
    # differ between two builds of the same data (two patterns a reader could compare)
    exposed = [key for key in lo if lo[key] >= hi[key] and guarded(key)]
    seen: set[int] = set()
    for i, r in enumerate(relations):
        kinds = [key for key in (r.parent, *r.children) if key in hidden]
        if len(kinds) == 1 and guarded(kinds[0]):
            seen.add(i)
            yield i
    for key in exposed:  # pinned: widen it through every sum it is in
        for i in by_cell.get(key, []):
            if i not in seen:
                seen.add(i)
                yield i


def _pick(r: Relation, counts: dict[Key, int], hidden: dict[Key, str], more: set[Key],
          k: int, lo: dict[Key, float] | None = None, hi: dict[Key, float] | None = None
          ) -> Key | None:
    """The cell to hide next in relation r, or None if one was already picked this round or
    none is left: the smallest shown child >= k (the sum's other parts) whose hiding frees
    the sum, else the parent if that frees it, else the first of them.

    "Frees": with it hidden, the sum alone pins none of its hidden cells (`_frees`). A child
    that cannot free it only costs a figure: '..' = k where the parts' lower bounds already
    add up to the total is pinned at k (four areas of '<5' and one of 5 under a total of 9:
    each '<5' is 1 and the '..' is 5), and the next round hid the total all the same. Each
    needless '..' also needed partners in the sums it is in, and on a demo region the chain
    reached every total of the handoff table: a manager saw the handoff of 508 contracts as
    a row of '..'."""
    keys = (*r.children, r.parent)
    if any(key in more for key in keys):
        return None
    kids = [key for key in r.children if key not in hidden and counts[key] >= k]
    # > k first: '..' = k exactly is what a reader's lower bound would pin.
    kids.sort(key=lambda key: (counts[key] == k, counts[key], repr(key)))
    if r.parent not in hidden and counts[r.parent] >= k:
        kids.append(r.parent)
    if not kids:
        return None
    if lo is None or hi is None:
        return kids[0]
    return next((key for key in kids if _frees(r, key, counts, hidden, lo, hi, k)), kids[0])


def _frees(r: Relation, pick: Key, counts: dict[Key, int], hidden: dict[Key, str],
           lo: dict[Key, float], hi: dict[Key, float], k: int) -> bool:
    """Whether with `pick` hidden ('..', known >= k) the one sum r pins none of its hidden
    counts, from the bounds known so far. One pass is exact for one sum (the interval hull
    of parent = sum of the children)."""
    def bounds(key: Key) -> tuple[float, float]:
        if key == pick:
            return float(k), INF
        if key in hidden:
            return lo.get(key, 0.0), hi.get(key, INF)
        return float(counts[key]), float(counts[key])

    p_lo, p_hi = bounds(r.parent)
    kids = [bounds(c) for c in r.children]
    s_lo = sum(b[0] for b in kids)
    n_inf = sum(1 for b in kids if b[1] == INF)
    fin_hi = sum(b[1] for b in kids if b[1] != INF)
    cells = [(r.parent, max(p_lo, s_lo), min(p_hi, INF if n_inf else fin_hi))]
    for c, (c_lo, c_hi) in zip(r.children, kids, strict=True):
        # the other parts' most (INF-safe: INF - INF would be no number)
        others_hi = INF if n_inf - (c_hi == INF) else fin_hi - (0.0 if c_hi == INF else c_hi)
        cells.append((c, max(c_lo, p_lo - others_hi), min(c_hi, p_hi - (s_lo - c_lo))))
    return not any(lo_ >= hi_ for key, lo_, hi_ in cells
                   if (key in hidden or key == pick) and counts[key] != 0
                   and hidden.get(key) != UNPUBLISHED)


def _bounds(counts: dict[Key, int], relations: Sequence[Relation], hidden: dict[Key, str],
            by_cell: dict[Key, list[int]], k: int,
            rounds: int = 60) -> tuple[dict[Key, float], dict[Key, float]]:
    """What a reader can derive about each hidden cell from every published sum at once:
    bounds tightened over all relations until they stop changing."""
    lo: dict[Key, float] = {}
    hi: dict[Key, float] = {}
    for key in by_cell:
        kind = hidden.get(key)
        if kind is not None:
            lo[key], hi[key] = {PRIMARY: (1.0, float(k - 1)), SECONDARY: (float(k), INF),
                                WITHDRAWN: (0.0, float(k - 1)),
                                UNPUBLISHED: (0.0, INF)}[kind]

    # Per sum: the total of its shown parts (fixed) and its hidden parts, so a visit costs
    # the hidden cells only (an area of 280 municipalities has a handful hidden).
    active = sorted({i for key in lo for i in by_cell[key]})
    prep: dict[int, tuple[list[Key], float]] = {}
    for i in active:
        r = relations[i]
        prep[i] = ([c for c in r.children if c in lo],
                   float(sum(counts[c] for c in r.children if c not in lo)))
    # A worklist: a sum is visited again only when a bound of one of its cells changed.
    queue, queued = deque(active), set(active)
    budget = rounds * len(active)
    while queue and budget > 0:
        budget -= 1
        i = queue.popleft()
        queued.discard(i)
        r = relations[i]
        kids, fixed = prep[i]
        slo = fixed + sum(lo[c] for c in kids)
        inf_hi = sum(1 for c in kids if hi[c] == INF)
        fin_hi = fixed + sum(hi[c] for c in kids if hi[c] != INF)
        moved: list[Key] = []
        if r.parent in lo:
            plo, phi = lo[r.parent], hi[r.parent]
            nlo, nhi = max(plo, slo), min(phi, INF if inf_hi else fin_hi)
            if (nlo, nhi) != (plo, phi):
                lo[r.parent], hi[r.parent] = plo, phi = nlo, nhi
                moved.append(r.parent)
        else:
            plo = phi = float(counts[r.parent])
        for c in kids:
            clo, chi = lo[c], hi[c]
            others_lo = slo - clo
            rest_inf = inf_hi - (1 if chi == INF else 0)
            others_hi = INF if rest_inf else fin_hi - (0 if chi == INF else chi)
            nlo, nhi = max(clo, plo - others_hi), min(chi, phi - others_lo)
            if (nlo, nhi) != (clo, chi):
                lo[c], hi[c] = nlo, nhi
                slo += nlo - clo
                moved.append(c)
        for key in moved:
            for j in by_cell[key]:
                if j not in queued:
                    queue.append(j)
                    queued.add(j)
    return lo, hi
