"""Network studies without moving patient data: each site shares an aggregate package
(:func:`build_site_package`, :func:`write_site_package`), and a coordinator pools the
packages (:func:`pool_packages`, :func:`write_pooled_report`). docs/network.md."""

from ibd_dtt.network.package import (
    PackageError,
    SitePackage,
    build_site_package,
    read_site_package,
    write_site_package,
)

__all__ = [
    "PackageError",
    "SitePackage",
    "build_site_package",
    "read_site_package",
    "write_site_package",
]
