"""Exception tree of ibd-dtt.

Bad *data* never raises: it becomes rows of a :class:`~ibd_dtt.validate.ValidationReport`.
Exceptions are for bad *arguments* or unusable inputs (a folder that does not exist,
a configuration file that cannot be parsed).
"""

from __future__ import annotations


class IbdDttError(Exception):
    """Root of every error raised on purpose by ibd-dtt."""


class DataContractError(IbdDttError, ValueError):
    """The input cannot be read as registry data at all (e.g. no tables found)."""


class ConfigError(IbdDttError, ValueError):
    """A study configuration file is missing, unreadable or contradictory."""


class CatalogueError(IbdDttError, ValueError):
    """The shipped drug catalogue is inconsistent (a packaging defect, not a user error)."""
