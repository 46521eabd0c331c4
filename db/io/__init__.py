"""Data in and out: import, export, backups, demo data."""
