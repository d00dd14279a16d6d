"""Lampung TKPK poverty data warehouse: the Dagster code location."""
