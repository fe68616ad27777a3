"""Visit windows as data, and the selection of one assessment per patient, parameter, window.

``load_visit_windows()`` reads a window set (YAML); ``derive_analysis_visits`` turns scored
assessments and DTT episodes into the long analysis table plus the log of every candidate
(chosen or passed over, with the reason).
"""

from ibd_dtt.windows.visits import (
    PARAMETERS,
    AnalysisVisits,
    derive_analysis_visits,
    melt_assessments,
)
from ibd_dtt.windows.windows import VisitWindow, VisitWindows, load_visit_windows

__all__ = [
    "PARAMETERS",
    "AnalysisVisits",
    "VisitWindow",
    "VisitWindows",
    "derive_analysis_visits",
    "load_visit_windows",
    "melt_assessments",
]
