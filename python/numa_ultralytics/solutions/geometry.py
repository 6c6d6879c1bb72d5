"""The few shapely operations 8.4.190's solutions use, without shapely: exact predicates on float64 coordinates.

``Point``, ``LineString`` (a segment: two points) and ``Polygon`` (one ring) answer ``intersects`` (line / line),
``contains`` (polygon / point: strict interior, the boundary is outside, as GEOS), ``crosses`` (polygon / line: the
segment's interior meets both the polygon's interior and its exterior, GEOS' DE-9IM ``T*****T**``), ``centroid``
(GEOS' triangle-fan formula, so that ``int(poly.centroid.x)`` rounds as the original) and ``exterior.coords`` (the
closed ring). Coordinates are taken as float64, as shapely does, and every predicate is decided in exact rational
arithmetic (``fractions.Fraction``), as GEOS' robust orientation tests decide them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

_Q = tuple[Fraction, Fraction]


def _xy(p: Any) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def _q(p: tuple[float, float]) -> _Q:
    return Fraction(p[0]), Fraction(p[1])


def _orient(a: _Q, b: _Q, c: _Q) -> int:
    """Sign of the cross product (b - a) x (c - a): 1 left turn, -1 right turn, 0 collinear."""
    v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (v > 0) - (v < 0)


def _in_box(p: _Q, a: _Q, b: _Q) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _on_segment(p: _Q, a: _Q, b: _Q) -> bool:
    return _orient(a, b, p) == 0 and _in_box(p, a, b)


def segments_intersect(a: _Q, b: _Q, c: _Q, d: _Q) -> bool:
    """Closed segments ab and cd share a point (touching and collinear overlap included). A zero-length segment meets
    nothing: GEOS' zero-length LineString is invalid and intersects no geometry."""
    if a == b or c == d:
        return False
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if o1 != o2 and o3 != o4 and 0 not in (o1, o2, o3, o4):
        return True
    return (
        (o1 == 0 and _in_box(c, a, b))
        or (o2 == 0 and _in_box(d, a, b))
        or (o3 == 0 and _in_box(a, c, d))
        or (o4 == 0 and _in_box(b, c, d))
    )


def _locate(p: _Q, ring: list[_Q]) -> int:
    """1 inside the ring, 0 on its boundary, -1 outside (crossing number, exact)."""
    inside = False
    for a, b in zip(ring, ring[1:]):
        if _on_segment(p, a, b):
            return 0
        # an edge spanning p's height, right of p (its x there, exactly: a.x + (p.y - a.y) (b.x - a.x) / (b.y - a.y))
        if (a[1] > p[1]) != (b[1] > p[1]) and p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]):
            inside = not inside
    return 1 if inside else -1


class Point:
    """A point (``x``, ``y``)."""

    def __init__(self, *args: Any) -> None:
        p = args[0] if len(args) == 1 else args
        self.x, self.y = _xy(p)

    @property
    def coords(self) -> list[tuple[float, float]]:
        return [(self.x, self.y)]

    def __repr__(self) -> str:
        return f"<POINT ({self.x:g} {self.y:g})>"


class LineString:
    """A segment between two points (what the solutions build: a counting line, a track's last move)."""

    def __init__(self, coordinates: Iterable[Any]) -> None:
        pts = [_xy(p) for p in coordinates]
        if len(pts) != 2:
            raise ValueError(f"LineString here is a segment of 2 points, got {len(pts)}")
        self._pts = pts
        self._q = [_q(p) for p in pts]

    @property
    def coords(self) -> list[tuple[float, float]]:
        return list(self._pts)

    def intersects(self, other: LineString) -> bool:
        """The two segments share at least one point."""
        return segments_intersect(self._q[0], self._q[1], other._q[0], other._q[1])

    def __repr__(self) -> str:
        return f"<LINESTRING ({', '.join(f'{x:g} {y:g}' for x, y in self._pts)})>"


class _Ring:
    def __init__(self, pts: list[tuple[float, float]]) -> None:
        self.coords = [*pts, pts[0]] if pts and pts[0] != pts[-1] else list(pts)


class Polygon:
    """A polygon without holes, from 3 or more points (the ring closes itself)."""

    def __init__(self, shell: Sequence[Any]) -> None:
        pts = [_xy(p) for p in shell]
        if len(pts) < 3:
            raise ValueError(f"A polygon needs at least 3 points, got {len(pts)}")
        self.exterior = _Ring(pts)
        self._ring = [_q(p) for p in self.exterior.coords]

    def contains(self, other: Point) -> bool:
        """``other`` lies strictly inside (a point on the boundary is not contained)."""
        return _locate(_q((other.x, other.y)), self._ring) == 1

    def crosses(self, line: LineString) -> bool:
        """The segment's interior meets both the polygon's interior and its exterior."""
        p, q = line._q
        if p == q:
            return False
        d = (q[0] - p[0], q[1] - p[1])
        ts = {Fraction(0), Fraction(1)}
        for a, b in zip(self._ring, self._ring[1:]):
            e = (b[0] - a[0], b[1] - a[1])
            den = d[0] * e[1] - d[1] * e[0]
            ap = (a[0] - p[0], a[1] - p[1])
            if den != 0:
                t = (ap[0] * e[1] - ap[1] * e[0]) / den
                u = (ap[0] * d[1] - ap[1] * d[0]) / den
                if 0 <= t <= 1 and 0 <= u <= 1:
                    ts.add(t)
            elif ap[0] * d[1] - ap[1] * d[0] == 0:  # collinear: the edge's ends along pq
                dd = d[0] * d[0] + d[1] * d[1]
                for v in (a, b):
                    t = ((v[0] - p[0]) * d[0] + (v[1] - p[1]) * d[1]) / dd
                    if 0 <= t <= 1:
                        ts.add(t)
        order = sorted(ts)
        inside = outside = False
        for t0, t1 in zip(order, order[1:]):
            m = (t0 + t1) / 2
            where = _locate((p[0] + m * d[0], p[1] + m * d[1]), self._ring)
            inside |= where == 1
            outside |= where == -1
        return inside and outside

    @property
    def centroid(self) -> Point:
        """GEOS' area centroid: triangles fanned from the first point, ``cg3 / 3 / areasum2``."""
        pts = self.exterior.coords
        base = pts[0]
        cx = cy = area2 = 0.0
        for p1, p2 in zip(pts, pts[1:]):
            a2 = (p1[0] - base[0]) * (p2[1] - base[1]) - (p2[0] - base[0]) * (p1[1] - base[1])
            cx += a2 * (base[0] + p1[0] + p2[0])
            cy += a2 * (base[1] + p1[1] + p2[1])
            area2 += a2
        if area2 == 0:
            n = len(pts) - 1
            return Point(sum(p[0] for p in pts[:-1]) / n, sum(p[1] for p in pts[:-1]) / n)
        return Point(cx / 3 / area2, cy / 3 / area2)

    def __repr__(self) -> str:
        return f"<POLYGON (({', '.join(f'{x:g} {y:g}' for x, y in self.exterior.coords)}))>"


def prep(geometry: Any) -> Any:
    """shapely's ``prep``: here the geometry itself (its predicates are already what a prepared one answers)."""
    return geometry
