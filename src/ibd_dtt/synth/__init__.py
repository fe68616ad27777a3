"""Synthetic data for tests and benchmarks: realistic multicenter DTT registries written in the
data contract (``generate_registry``, ``write_registry``; CLI ``ibd-dtt synth``)."""

from ibd_dtt.synth.registry import (
    SynthOptions,
    generate_registry,
    site_folder_name,
    split_by_center,
    write_registry,
)

__all__ = [
    "SynthOptions",
    "generate_registry",
    "site_folder_name",
    "split_by_center",
    "write_registry",
]
