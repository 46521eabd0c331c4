"""Dashboard: this month's KPI cards (with the change on last month) and the satisfaction charts of the
CRM's default tab, every figure computed in pandas from the whole tables (formulas as in docs/kpi.md)."""

from datetime import date, timedelta

import pandas as pd
import plotly.express as px
import streamlit as st
from naive_data import live, month_start

st.title("Dashboard")
contacts = live("contacts")
deals = live("deals")
stages = live("stages")
pipelines = live("pipelines")
activities = live("activities")
feedback = live("feedback")
campaigns = live("campaigns")

for frame, cols in ((contacts, ["acquired_at", "churned_at"]), (deals, ["closed_at", "created_at"]),
                    (feedback, ["responded_at"])):
    for col in cols:
        frame[col] = pd.to_datetime(frame[col])
activities["when"] = pd.to_datetime(activities["starts_at"].fillna(activities["due_at"])
                                    .fillna(activities["created_at"]))
sales_stages = stages[stages["pipeline_id"].isin(pipelines.loc[pipelines["kind"] == "sales", "id"])]
deals = deals.merge(sales_stages[["id", "kind", "probability"]].rename(columns={"id": "stage_id"}), on="stage_id")
served = activities[(activities["done"] == 1)].merge(
    contacts[["id", "acquired_at"]].rename(columns={"id": "contact_id"}), on="contact_id")
served = served[served["acquired_at"].notna() & (served["when"] >= served["acquired_at"])]
campaigns = campaigns[campaigns["starts_on"].notna()].copy()
campaigns["first"] = pd.to_datetime(campaigns["starts_on"].str[:10])
campaigns["last"] = pd.to_datetime(campaigns["ends_on"].fillna(campaigns["starts_on"]).str[:10])


def between(series: pd.Series, start: date, end: date) -> pd.Series:
    return (series >= pd.Timestamp(start)) & (series < pd.Timestamp(end))


def ratio(part, whole):
    return None if not whole else part / whole


def spend(start: date, end: date) -> float:
    """Each campaign's spend spread evenly over its days, the part falling in [start, end)."""
    total = 0.0
    for c in campaigns.itertuples():
        days = (min(c.last, pd.Timestamp(end) - timedelta(days=1)) - max(c.first, pd.Timestamp(start))).days + 1
        if c.last >= c.first and days > 0:
            total += (c.spend or 0.0) * days / ((c.last - c.first).days + 1)
    return total


def sales(start: date, end: date) -> dict:
    closed = deals[between(deals["closed_at"], start, end)]
    won, lost = closed[closed["kind"] == "won"], closed[closed["kind"] == "lost"]
    return {"revenue": won["amount"].sum() if len(won) else None,
            "margin": (won["amount"] - won["cost"]).sum() if len(won) else None,
            "win_rate": ratio(len(won), len(won) + len(lost)),
            "cycle_days": (won["closed_at"] - won["created_at"]).dt.total_seconds().mean() / 86400 if len(won) else None}


def cost_to_serve(start: date, end: date) -> float:
    return served.loc[between(served["when"], start, end), "cost"].sum()


def kpis(start: date, end: date) -> dict:
    answers = feedback[between(feedback["responded_at"], start, end)]
    csat, nps = answers[answers["kind"] == "csat"], answers[answers["kind"] == "nps"]
    out = {"csat": ratio((csat["score"] >= 4).sum(), len(csat)),
           "nps": 100 * ((nps["score"] >= 9).sum() - (nps["score"] <= 6).sum()) / len(nps) if len(nps) else None,
           **sales(start, end)}
    new = contacts[between(contacts["acquired_at"], start, end)]
    money = spend(start, end)
    out["cac"] = ratio(money, len(new))
    won_by = contacts[contacts["acquired_at"].notna()].groupby("campaign_id").size()
    per_win = (campaigns.set_index("id")["spend"] / won_by).dropna()
    attributed = new["campaign_id"].map(per_win).sum()
    costs = cost_to_serve(start, end)
    out["profit"] = None if out["margin"] is None and not costs and not attributed else \
        (out["margin"] or 0) - costs - attributed
    year_start = month_start(end, -12)
    before = contacts[contacts["acquired_at"].notna() & (contacts["acquired_at"] < pd.Timestamp(end))]
    ys = pd.Timestamp(year_start)
    at_start = ((before["acquired_at"] < ys) & (before["churned_at"].isna() | (before["churned_at"] >= ys))).sum()
    churned = (between(before["churned_at"], year_start, end) & (before["acquired_at"] < ys)).sum()
    active = (before["churned_at"].isna() | (before["churned_at"] >= ys)).sum()
    margin = sales(year_start, end)["margin"] or 0.0
    per_customer = ratio(margin - cost_to_serve(year_start, end), active)
    churn = ratio(churned, at_start)
    clv = per_customer / churn if per_customer is not None and churn else None
    year_cac = ratio(spend(year_start, end), between(contacts["acquired_at"], year_start, end).sum())
    out["ltv_cac"] = clv / year_cac if clv is not None and year_cac else None
    open_deals = deals[deals["kind"] == "open"]
    out["weighted"] = (open_deals["amount"] * open_deals["probability"]).sum()
    return out


start = month_start(date.today())
end = month_start(start, 1)
now, before = kpis(start, end), kpis(month_start(start, -1), start)
st.caption(f"{start:%d %b %Y} – {end - timedelta(days=1):%d %b %Y}")

CARDS = [("CSAT", "csat", "pct"), ("NPS", "nps", "num"), ("Revenue", "revenue", "money"),
         ("Gross margin", "margin", "money"), ("Customer profit", "profit", "money"), ("CAC", "cac", "money"),
         ("LTV:CAC", "ltv_cac", "ratio"), ("Win rate", "win_rate", "pct"), ("Sales cycle", "cycle_days", "days"),
         ("Weighted pipeline", "weighted", "money")]


def show(value, fmt: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    return {"pct": f"{value:.1%}", "num": f"{value:.1f}", "money": f"€{value:,.0f}", "ratio": f"{value:.2f}",
            "days": f"{value:.1f} days"}[fmt]


for row in (CARDS[:5], CARDS[5:]):
    for col, (label, key, fmt) in zip(st.columns(5), row, strict=True):
        change = None
        if key != "weighted" and now[key] is not None and before[key] is not None:
            change = show(now[key] - before[key], fmt)
        col.metric(label, show(now[key], fmt), change, border=True)

months = [(month_start(end, -n), month_start(end, 1 - n)) for n in range(12, 0, -1)]
trend = []
for first, after in months:
    answers = feedback[between(feedback["responded_at"], first, after)]
    csat, nps = answers[answers["kind"] == "csat"], answers[answers["kind"] == "nps"]
    trend.append({"month": f"{first:%Y-%m}", "CSAT %": 100 * (csat["score"] >= 4).mean() if len(csat) else None,
                  "NPS": 100 * ((nps["score"] >= 9).sum() - (nps["score"] <= 6).sum()) / len(nps) if len(nps) else None})
st.plotly_chart(px.line(pd.DataFrame(trend), x="month", y=["CSAT %", "NPS"], markers=True,
                        title="Satisfaction over time"))
period = feedback[between(feedback["responded_at"], start, end)]
left, right = st.columns(2)
for where, kind, title in ((left, "csat", "CSAT distribution"), (right, "nps", "NPS distribution")):
    counts = period[period["kind"] == kind].groupby("score").size().reset_index(name="answers")
    where.plotly_chart(px.bar(counts, x="score", y="answers", title=title))
