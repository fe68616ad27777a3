from pathlib import Path

from ibd_dtt.catalogue import ADVANCED_MECHANISMS, load_drug_catalogue
from ibd_dtt.contract import TABLES
from ibd_dtt.contract.docs import render_contract_markdown

ROOT = Path(__file__).parents[2]


def test_data_contract_doc_is_generated_from_the_code():
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert doc == render_contract_markdown(), "run `make docs` to regenerate the contract doc"


def test_every_table_key_and_code_column_is_well_formed():
    for table in TABLES.values():
        assert set(table.key) <= set(table.column_names)
        assert len(set(table.column_names)) == len(table.column_names)
        for column in table.columns:
            assert (column.kind in ("code", "codes")) == bool(column.codes), column.name


def test_catalogue_resolves_abbreviations_brands_and_old_atc_facts():
    catalogue = load_drug_catalogue()
    assert catalogue.resolve("Stelara").abbreviation == "UST"
    assert catalogue.resolve(" entyvio ").abbreviation == "VDZ"
    assert catalogue.resolve("Thd").abbreviation == "THD"
    # 2024 ATC restructuring keeps both codes (clinical.md §5)
    tofacitinib = catalogue.resolve("TOF")
    assert (tofacitinib.atc_code, tofacitinib.atc_code_pre2024) == ("L04AF01", "L04AA29")
    assert catalogue.resolve("IFX").omop_concept_id == 937368
    assert catalogue.resolve("UST").maintenance_interval_days == 56


def test_advanced_therapies_all_have_a_dtt_mechanism_class():
    for drug in load_drug_catalogue().drugs:
        if drug.is_advanced:
            assert drug.mechanism_class in ADVANCED_MECHANISMS
