"""Write the files generated from the contract in code (run by `make docs`):
docs/data-contract.md and the study's REDCap project in redcap/."""

from pathlib import Path

from ibd_dtt.contract.docs import render_contract_markdown
from ibd_dtt.forms.redcap import write_redcap_project

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CENTERS = ("Center A", "Center B", "Center C")

if __name__ == "__main__":
    target = ROOT / "docs" / "data-contract.md"
    target.write_text(render_contract_markdown(), encoding="utf-8")
    print(f"wrote {target}")
    for path in write_redcap_project(ROOT / "redcap", SHIPPED_CENTERS):
        print(f"wrote {path}")
