"""Direct identifiers: columns and values that must never enter (or leave) the toolkit.

Column names are matched against the HIPAA Safe Harbor identifier list (45 CFR
§164.514(b)(2); peers.md §8) — names, contact details, addresses, record, insurance and
national numbers, full dates of birth — in English, German, French, Spanish, Italian, Dutch
and Chinese (characters and pinyin), after folding case and accents ("Prénom" -> prenom,
"Date of birth (dd/mm/yyyy)" -> dateofbirthddmmyyyy).

Free-text values are scanned for e-mail addresses, phone numbers, long digit runs (record or
national numbers), names after a title ("Mr Wang", "Frau Müller"), street addresses and
full dates. Patient IDs that look like record or national numbers (9+ digits, Spanish
DNI/NIE, Italian codice fiscale, Chinese resident ID) are refused. A value found to be
identifier-like is never echoed: :func:`mask` keeps only its length.
"""

from __future__ import annotations

import re
import unicodedata


def fold(name: object) -> str:
    """Lower case, accents removed, every run of non-letters/digits removed
    (``"Prénom du patient"`` -> ``"prenomdupatient"``); Chinese characters are kept."""
    text = unicodedata.normalize("NFKD", "" if name is None else str(name).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", text)


def _tokens(name: object) -> list[str]:
    text = unicodedata.normalize("NFKD", "" if name is None else str(name).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [t for t in re.split(r"[\W_]+", text) if t]


# A column whose folded name *starts with* one of these is an identifier (so that
# "date of birth (dd/mm/yyyy)", "Telefonnummer privat" and "NHS No." are caught).
_PREFIXES = {
    "a person's name": (
        "surname",
        "firstname",
        "lastname",
        "givenname",
        "familyname",
        "fullname",
        "forename",
        "middlename",
        "maidenname",
        "patientname",
        "patientsname",
        "ptname",
        "nameofpatient",
        "nameofthepatient",
        "patientfullname",
        "nachname",
        "vorname",
        "familienname",
        "geburtsname",
        "patientenname",
        "prenom",
        "nomdefamille",
        "nomdupatient",
        "nompatient",
        "nomdenaissance",
        "apellido",
        "nombrecompleto",
        "nombredelpaciente",
        "nombrepaciente",
        "cognome",
        "nomepaziente",
        "nomedelpaziente",
        "nomecompleto",
        "achternaam",
        "voornaam",
        "naampatient",
        "patientnaam",
        "xingming",
        "huanzhexingming",
        "姓名",
        "名字",
        "患者姓名",
    ),
    "a phone or fax number": (
        "phone",
        "telephone",
        "telefon",
        "tel",
        "mobile",
        "cellphone",
        "fax",
        "contact",
        "handy",
        "portable",
        "movil",
        "cellulare",
        "dianhua",
        "shouji",
        "lianxi",
        "电话",
        "手机",
        "联系",
    ),
    "an e-mail address": ("email", "mail", "courriel", "correo", "youxiang", "邮箱", "电子邮件"),
    "an address": (
        "address",
        "street",
        "adresse",
        "anschrift",
        "strasse",
        "wohnort",
        "postleitzahl",
        "direccion",
        "domicilio",
        "indirizzo",
        "residenza",
        "adres",
        "woonplaats",
        "postcode",
        "postalcode",
        "zipcode",
        "codepostal",
        "codigopostal",
        "dizhi",
        "zhuzhi",
        "地址",
        "住址",
    ),
    "a national ID, passport or insurance number": (
        "ssn",
        "socialsecurity",
        "nationalid",
        "nationalnumber",
        "nhsno",
        "nhsnumber",
        "insurancenumber",
        "insuranceno",
        "insuranceid",
        "healthinsurance",
        "passport",
        "idcard",
        "idnumber",
        "identitycard",
        "identitynumber",
        "dni",
        "bsn",
        "nir",
        "numerosecu",
        "numerodesecurite",
        "securitesociale",
        "codicefiscale",
        "tesserasanitaria",
        "versichertennummer",
        "krankenversicherung",
        "reisepass",
        "personalausweis",
        "steuerid",
        "burgerservicenummer",
        "shenfenzheng",
        "yibao",
        "身份证",
        "医保",
        "社保",
    ),
    "a hospital or medical record number": (
        "mrn",
        "medicalrecord",
        "hospitalno",
        "hospitalnumber",
        "hospitalid",
        "hospno",
        "recordnumber",
        "recordno",
        "inpatientno",
        "inpatientnumber",
        "outpatientno",
        "outpatientnumber",
        "casenumber",
        "admissionnumber",
        "chartnumber",
        "crn",
        "patientennummer",
        "fallnummer",
        "aktenzeichen",
        "numerodossier",
        "dossiermedical",
        "historiaclinica",
        "numerohistoria",
        "nhc",
        "cartellaclinica",
        "patientnummer",
        "patientnumber",
        "binglihao",
        "zhuyuanhao",
        "menzhenhao",
        "病历号",
        "住院号",
        "门诊号",
        "病案号",
    ),
    "a full date of birth": (
        "dob",
        "dateofbirth",
        "birthdate",
        "birthday",
        "geburtsdatum",
        "geburtstag",
        "datedenaissance",
        "fechadenacimiento",
        "fechanacimiento",
        "datadinascita",
        "datanascita",
        "geboortedatum",
        "chushengriqi",
        "shengri",
        "出生日期",
        "生日",
    ),
    "an IP address or web URL": ("ipaddress", "url"),
}
# Short words that are identifiers only as the whole column name ("Name", "Nom", "Tel").
_WHOLE = {
    "a person's name": {
        "name",
        "names",
        "initials",
        "nom",
        "nombre",
        "nome",
        "naam",
        "apellidos",
        "xing",
        "ming",
        "姓",
        "名",
    },
    "an address": {"city", "zip", "plz", "ciudad", "citta", "ville", "stadt", "cap"},
}
# Columns of the data contract and other harmless names that begin like an identifier.
_NOT_IDENTIFIERS = {"patientid", "birthyear", "contactlens"}


def identifier_kind_of_column(name: str) -> str | None:
    """What kind of direct identifier a column name suggests, if any.

    >>> identifier_kind_of_column("Hospital No."), identifier_kind_of_column("Nachname")
    ('a hospital or medical record number', "a person's name")
    >>> identifier_kind_of_column("date of birth (dd/mm/yyyy)")
    'a full date of birth'
    >>> identifier_kind_of_column("birth_year"), identifier_kind_of_column("crp")
    (None, None)
    """
    folded = fold(name)
    if not folded or folded in _NOT_IDENTIFIERS:
        return None
    for kind, words in _WHOLE.items():
        if folded in words:
            return kind
    tokens = _tokens(name)
    for kind, prefixes in _PREFIXES.items():
        long = tuple(p for p in prefixes if len(p) > 3 or not p.isascii())
        short = {p for p in prefixes if len(p) <= 3 and p.isascii()}
        if short & set(tokens) or folded in short:  # "NHS No", "DOB", "tel." - not "dobutamine"
            return kind
        if folded.startswith(long):
            return kind
        # "patient_phone", "home address": a qualifier before the identifier
        for i in range(1, len(tokens)):
            if "".join(tokens[i:]).startswith(long):
                return kind
    if (
        tokens
        and tokens[-1] in ("name", "nom", "nombre", "nome", "naam")
        and any(
            t in ("patient", "patients", "pt", "paciente", "paziente", "full", "first", "last")
            for t in tokens[:-1]
        )
    ):
        return "a person's name"
    return None


_TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Hr|Fr|M|Mme|Mlle|Sr|Sra|Srta|Sig|Sig\.ra|Dhr|Mevr"
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|close|straße|strasse|str|weg|gasse|"
    r"platz|allee|rue|avenue|boulevard|bd|chemin|calle|avenida|plaza|via|viale|piazza|"
    r"straat|laan|plein|gracht|lu|jie|dao|路|街|号"
)
_VALUE_PATTERNS = {
    "an e-mail address": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "a phone number": re.compile(r"(?:\+?\d[\d ()\-/.]{7,}\d)"),
    "a long number (record or national ID)": re.compile(r"\d{9,}"),
    "a name after a title": re.compile(rf"\b(?:{_TITLES})\.?\s+[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+"),
    "a street address": re.compile(
        rf"\b\d{{1,5}}[a-z]?,?\s+(?:[\w'’.-]+\s+){{0,3}}(?:{_STREET_WORDS})\b"
        rf"|\b(?:[\w'’.-]+\s+)?(?:{_STREET_WORDS})\s+[\w'’.-]+\s+\d{{1,5}}\b"
        # German and Dutch compounds: "Hauptstraße 5", "Kerkstraat 12"
        r"|\b\w+(?:straße|strasse|str\.|weg|gasse|platz|allee|straat|laan|gracht|plein)"
        r"\s+\d{1,5}\b",
        re.IGNORECASE,
    ),
    "a full date (a birth date?)": re.compile(
        r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})\b"
    ),
    "a national ID number": re.compile(
        r"\b(?:\d{8}[A-HJ-NP-TV-Z]|[XYZ]\d{7}[A-Z]|[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]"
        r"|\d{17}[\dX])\b"
    ),
}


def identifier_kind_of_value(value: str) -> str | None:
    """What kind of direct identifier a free-text value contains, if any.

    >>> identifier_kind_of_value("Seen by Dr. Zhang"), identifier_kind_of_value("Arthralgia")
    ('a name after a title', None)
    >>> identifier_kind_of_value("lives at 12 Baker Street")
    'a street address'
    """
    for kind, pattern in _VALUE_PATTERNS.items():
        if pattern.search(value):
            return kind
    return None


# Patient IDs (upper-cased) that are record or national numbers, not study IDs.
DIRECT_ID_PATTERN = (
    r"\d{9,}"  # record, national and insurance numbers
    r"|^\d{8}[A-HJ-NP-TV-Z]$|^[XYZ]\d{7}[A-Z]$"  # Spanish DNI / NIE
    r"|^[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]$"  # Italian codice fiscale
    r"|^\d{17}[\dX]$"  # Chinese resident identity card
)
_ID_PATTERN = re.compile(DIRECT_ID_PATTERN)


def looks_like_direct_id(value: object) -> bool:
    """True for a patient ID that looks like a record or national number.

    >>> looks_like_direct_id("DTT01"), looks_like_direct_id("123456789")
    (False, True)
    >>> looks_like_direct_id("12345678Z"), looks_like_direct_id("RSSMRA85T10A562S")
    (True, True)
    """
    text = "" if value is None else str(value).strip().upper()
    return bool(_ID_PATTERN.search(text))


_FULL_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def shown_value(value: object, column: str | None = None) -> object:
    """``value`` as it may appear in a message, a report or a log: masked when it looks
    like a direct identifier (a record or national number, a full date given for a birth
    year), else unchanged."""
    if value is None or not isinstance(value, str) or not value:
        return value
    if looks_like_direct_id(value):
        return mask(value)
    if column and "birth" in column and _FULL_DATE.search(value):
        return mask(value)
    return value


def mask(value: str) -> str:
    """Never copy an identifier into a report: keep its length only."""
    return f"<{len(value)} characters withheld>"
