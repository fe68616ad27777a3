"""The registry data contract (tables, columns, codes) — single source of truth."""

from ibd_dtt.contract.tables import CONTRACT_VERSION, TABLES, Column, Table

__all__ = ["CONTRACT_VERSION", "TABLES", "Column", "Table"]
