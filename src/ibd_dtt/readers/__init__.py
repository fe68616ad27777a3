"""Readers: a CSV folder or an .xlsx workbook -> :class:`RawTables` of text cells.

Readers never interpret values (that is validation's job); they keep every cell as text,
remember where it came from (file, sheet, row), and report what could not be read as
:class:`~ibd_dtt.problems.Problem` rows instead of raising.
"""

from ibd_dtt.readers.registry import RawTable, RawTables, normalise_column_name, read_registry

__all__ = ["RawTable", "RawTables", "normalise_column_name", "read_registry"]
