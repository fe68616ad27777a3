"""ibd-dtt: dual-targeted therapy (DTT) studies in inflammatory bowel disease.

Public API::

    from ibd_dtt import read_registry, validate, load_registry, score_registry
"""

from importlib import import_module

__version__ = "0.1.0"
__all__ = ["__version__", "load_registry", "read_registry", "score_registry", "validate"]

# The public functions are imported when first used (PEP 562), so that a command or a stage
# (e.g. ``ibd_dtt.omop``) does not pay for importing the whole registry pipeline.
_HOMES = {
    "load_registry": "ibd_dtt.pipeline",
    "score_registry": "ibd_dtt.pipeline",
    "read_registry": "ibd_dtt.readers",
    "validate": "ibd_dtt.validate",
}


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ibd_dtt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
