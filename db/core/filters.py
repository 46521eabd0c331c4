"""Dashboard filters turned into SQL fragments from whitelisted pieces; every value is a bound parameter."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

PERIODS = ("month", "quarter", "year", "custom")


@dataclass(frozen=True)
class Filters:
    """A period [start, end) plus optional narrowing. ``segment`` is an ABC-by-profit letter."""

    start: date
    end: date
    owner_id: int | None = None
    pipeline_id: int | None = None
    channel: str | None = None
    campaign_id: int | None = None
    segment: str | None = None

    def contact_clause(self, alias: str = "c") -> tuple[str, list]:
        """Conditions on a joined contacts row ``alias`` (owner, channel, campaign, segment)."""
        where, params = [], []
        if self.owner_id is not None:
            where.append(f"{alias}.owner_id = ?")
            params.append(self.owner_id)
        if self.channel:
            where.append(f"{alias}.channel = ?")
            params.append(self.channel)
        if self.campaign_id is not None:
            where.append(f"{alias}.campaign_id = ?")
            params.append(self.campaign_id)
        if self.segment in ("A", "B", "C"):
            where.append(f"{alias}.profit_segment = ?")
            params.append(self.segment)
        return (" AND " + " AND ".join(where)) if where else "", params

    def pipeline_clause(self, alias: str = "d") -> tuple[str, list]:
        """Sales pipelines by default; the chosen pipeline when one is picked."""
        if self.pipeline_id is not None:
            return f" AND {alias}.pipeline_id = ?", [self.pipeline_id]
        return f" AND {alias}.pipeline_id IN (SELECT id FROM pipelines WHERE kind = 'sales')", []

    @property
    def bounds(self) -> list[str]:
        return [self.start.isoformat(), self.end.isoformat()]

    def previous(self) -> Filters:
        """The same-length period just before this one (for deltas)."""
        if self.start.day == 1 and self.end.day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return replace(self, start=_add_months(self.start, -months), end=self.start)
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    return date(d.year + month // 12, month % 12 + 1, 1)


def period(kind: str, today: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """[start, end) of the current month, quarter or year containing ``today``, or a custom range."""
    if kind == "month":
        first = today.replace(day=1)
        return first, _add_months(first, 1)
    if kind == "quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return first, _add_months(first, 3)
    if kind == "year":
        return date(today.year, 1, 1), date(today.year + 1, 1, 1)
    start = start or today - timedelta(days=30)
    end = (end or today) + timedelta(days=1)
    return start, max(end, start + timedelta(days=1))
