"""Reusable UI: pure builders (unit-tested) and thin ``render_*`` functions that call streamlit."""
