"""Direct identifiers: columns and values that must never enter (or leave) the toolkit.

Column names are matched against the HIPAA Safe Harbor identifier list (45 CFR
§164.514(b)(2); peers.md §8): names, contact details, addresses, record and account
numbers, full dates of birth. Free-text values are scanned for e-mail addresses, phone
numbers and long digit runs (record or national ID numbers).
"""

from __future__ import annotations

import re

_IDENTIFIER_COLUMN_PATTERNS = {
    "a person's name": r"(^|_)(first|last|given|family|full|patient|maiden|middle|sur)_?name(_|$)"
    r"|^name$|^surname$|^initials$",
    "a phone or fax number": r"(^|_)(phone|telephone|tel|mobile|cellphone|fax)(_|$)",
    "an e-mail address": r"(^|_)e_?mail(_|$)",
    "an address": r"(^|_)(address|street|city|zip|zipcode|postcode|postal_code)(_|$)",
    "a national ID, passport or insurance number": r"(^|_)(ssn|social_security|national_id|"
    r"nid|id_card|id_number|identity|passport|nhs_number|insurance_number|insurance_id|"
    r"health_insurance|licence|license)(_|$)",
    "a hospital or medical record number": r"(^|_)(mrn|medical_record|hospital_number|"
    r"hospital_id|record_number|inpatient_number|outpatient_number|case_number|"
    r"admission_number|chart_number)(_|$)",
    "a full date of birth": r"^(dob|date_of_birth|birth_date|birthdate|birthday)$",
    "an IP address or web URL": r"(^|_)(ip_address|url)(_|$)",
}

_VALUE_PATTERNS = {
    "an e-mail address": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "a phone number": re.compile(r"(?:\+?\d[\d ()\-]{8,}\d)"),
    "a long number (record or national ID)": re.compile(r"\d{9,}"),
}


def identifier_kind_of_column(name: str) -> str | None:
    """What kind of direct identifier a (normalised) column name suggests, if any."""
    for kind, pattern in _IDENTIFIER_COLUMN_PATTERNS.items():
        if re.search(pattern, name):
            return kind
    return None


def identifier_kind_of_value(value: str) -> str | None:
    """What kind of direct identifier a free-text value contains, if any."""
    for kind, pattern in _VALUE_PATTERNS.items():
        if pattern.search(value):
            return kind
    return None


def mask(value: str) -> str:
    """Never copy an identifier into a report: keep its length only."""
    return f"<{len(value)} characters withheld>"
