"""The drug catalogue shipped as data (``drugs.csv``), and name resolution against it.

Sources: ``shared/reference/clinical.md`` §5 (ATC 2024 restructuring, RxNorm ingredient
RXCUIs, OMOP ingredient concept ids, maintenance intervals). Each row's ``evidence`` column
keeps the verification tag of the reference: [V] verified, [P] secondary source, [M] not
re-verified.

Example:
    >>> catalogue = load_drug_catalogue()
    >>> catalogue.resolve("Stelara").abbreviation
    'UST'
    >>> catalogue.resolve("stelara ").mechanism_class
    'anti_il12_23'
    >>> catalogue.resolve("unknownumab") is None
    True
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ibd_dtt.errors import CatalogueError

CATALOGUE_VERSION = "2026.11"
CATEGORIES = ("advanced", "immunomodulator", "corticosteroid", "aminosalicylate")
ADVANCED_MECHANISMS = (
    "anti_tnf",
    "anti_integrin",
    "anti_il12_23",
    "anti_il23_p19",
    "jak",
    "s1p",
)


@dataclass(frozen=True)
class Drug:
    """One ingredient of the catalogue."""

    generic_name: str
    abbreviation: str
    synonyms: tuple[str, ...]
    category: str
    mechanism_class: str
    routes: tuple[str, ...]
    maintenance_interval_days: int
    atc_code: str
    atc_code_pre2024: str | None
    rxnorm_ingredient: str | None
    omop_concept_id: int | None
    evidence: str

    @property
    def is_advanced(self) -> bool:
        """Biologic or small molecule counted as an 'advanced therapy' for DTT."""
        return self.category == "advanced"


def _normalise(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().lower())


@dataclass(frozen=True)
class DrugCatalogue:
    drugs: tuple[Drug, ...]

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for drug in self.drugs:
            for name in self._names(drug):
                key = _normalise(name)
                if key in seen and seen[key] != drug.generic_name:
                    raise CatalogueError(
                        f"drug name {name!r} is claimed by {seen[key]} and {drug.generic_name}"
                    )
                seen[key] = drug.generic_name
        object.__setattr__(self, "_lookup", {k: self.by_generic(v) for k, v in seen.items()})

    @staticmethod
    def _names(drug: Drug) -> tuple[str, ...]:
        return (drug.generic_name, drug.abbreviation, *drug.synonyms)

    def by_generic(self, generic_name: str) -> Drug:
        for drug in self.drugs:
            if drug.generic_name == generic_name:
                return drug
        raise KeyError(generic_name)

    def resolve(self, name: str) -> Drug | None:
        """The drug that ``name`` (generic, abbreviation or brand, any case) refers to."""
        return self._lookup.get(_normalise(name))  # type: ignore[attr-defined]

    def known_names(self) -> list[str]:
        return sorted({d.abbreviation for d in self.drugs})


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


@cache
def load_drug_catalogue() -> DrugCatalogue:
    """Load the shipped ``drugs.csv`` (cached; the catalogue is immutable)."""
    text = resources.files(__package__).joinpath("drugs.csv").read_text(encoding="utf-8")
    drugs = []
    for row in csv.DictReader(text.splitlines()):
        if row["category"] not in CATEGORIES:
            raise CatalogueError(f"{row['generic_name']}: unknown category {row['category']!r}")
        omop = _optional(row["omop_concept_id"])
        drugs.append(
            Drug(
                generic_name=row["generic_name"],
                abbreviation=row["abbreviation"],
                synonyms=tuple(s for s in row["synonyms"].split("|") if s),
                category=row["category"],
                mechanism_class=row["mechanism_class"],
                routes=tuple(row["route"].split("|")),
                maintenance_interval_days=int(row["maintenance_interval_days"]),
                atc_code=row["atc_code"],
                atc_code_pre2024=_optional(row["atc_code_pre2024"]),
                rxnorm_ingredient=_optional(row["rxnorm_ingredient"]),
                omop_concept_id=int(omop) if omop else None,
                evidence=row["evidence"],
            )
        )
    return DrugCatalogue(tuple(drugs))


__all__ = [
    "ADVANCED_MECHANISMS",
    "CATALOGUE_VERSION",
    "Drug",
    "DrugCatalogue",
    "load_drug_catalogue",
]
