"""Eligibility screening: the paper's inclusion (a)-(c) and exclusion (1)-(7) criteria.

``screen_eligibility`` gives one decision per patient with its reasons;
``attrition_table`` the STROBE-style flow (screened -> excluded by each step -> analysed).
"""

from ibd_dtt.eligibility.screening import (
    EXCLUSION_CRITERIA,
    attrition_table,
    screen_eligibility,
)

__all__ = ["EXCLUSION_CRITERIA", "attrition_table", "screen_eligibility"]
