"""KPIs and the rollups that keep them cheap: cards, series, profit, dashboard, segments."""
