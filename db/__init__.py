"""Data layer: plain functions over SQLite. No streamlit import here, nothing runs at import."""
