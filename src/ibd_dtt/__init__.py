"""ibd-dtt: dual-targeted therapy (DTT) studies in inflammatory bowel disease.

Public API::

    from ibd_dtt import read_registry, validate, load_registry, score_registry
"""

from ibd_dtt.pipeline import load_registry, score_registry
from ibd_dtt.readers import read_registry
from ibd_dtt.validate import validate

__version__ = "0.1.0"
__all__ = ["__version__", "load_registry", "read_registry", "score_registry", "validate"]
