"""Network studies without moving patient data: each site shares an aggregate package
(:func:`build_site_package`, :func:`write_site_package`), and a coordinator pools the
packages (:func:`read_packages`, :func:`pool_packages`, :func:`write_pooled_report`).
docs/network.md."""

from ibd_dtt.network.package import (
    PackageError,
    SitePackage,
    build_site_package,
    read_site_package,
    write_site_package,
)
from ibd_dtt.network.pool import PooledStudy, PoolError, pool_packages, read_packages
from ibd_dtt.network.report import write_pooled_report

__all__ = [
    "PackageError",
    "PoolError",
    "PooledStudy",
    "SitePackage",
    "build_site_package",
    "pool_packages",
    "read_packages",
    "read_site_package",
    "write_pooled_report",
    "write_site_package",
]
