"""Data access the way a typical Streamlit tutorial writes it: read whole tables into pandas, then filter,
join and aggregate in pandas. ``NAIVE_CACHE=1`` wraps the reads in ``st.cache_data`` ("naive with cache").

The peer of the CRM for bench/side_by_side.py; deliberately plain, neither slowed down nor optimised.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date

import pandas as pd
import streamlit as st

CACHE = os.environ.get("NAIVE_CACHE") == "1"
TABLES = ("contacts", "companies", "deals", "stages", "pipelines", "activities", "feedback", "campaigns", "users")


def connect() -> sqlite3.Connection:
    """The CRM's SQLite file (``NAIVE_DB``), opened read-only."""
    return sqlite3.connect(f"file:{os.environ['NAIVE_DB']}?mode=ro", uri=True)


def _read(table: str) -> pd.DataFrame:
    if table not in TABLES:
        raise ValueError(table)
    conn = connect()
    try:
        return pd.read_sql(f"SELECT * FROM {table}", conn)  # noqa: S608 - a table name from TABLES
    finally:
        conn.close()


_cached = st.cache_data(show_spinner=False)(_read)


def load(table: str) -> pd.DataFrame:
    """The whole table as a DataFrame (cached per server when ``NAIVE_CACHE=1``)."""
    return _cached(table) if CACHE else _read(table)


def live(table: str) -> pd.DataFrame:
    """The table's rows that are not deleted."""
    df = load(table)
    return df[df["deleted_at"].isna()]


def month_start(d: date, add: int = 0) -> date:
    month = d.month - 1 + add
    return date(d.year + month // 12, month % 12 + 1, 1)
