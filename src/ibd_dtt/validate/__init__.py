"""Validation of registry data against the data contract.

``validate(read_registry(path))`` returns a :class:`ValidationResult` with typed tables,
the rejected rows (with every reason) and a :class:`ValidationReport` of every problem.
"""

from ibd_dtt.validate.engine import ValidationResult, validate
from ibd_dtt.validate.report import ValidationReport

__all__ = ["ValidationReport", "ValidationResult", "validate"]
