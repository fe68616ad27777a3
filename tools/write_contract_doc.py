"""Write docs/data-contract.md from the contract in code (run by `make docs`)."""

from pathlib import Path

from ibd_dtt.contract.docs import render_contract_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "data-contract.md"
    target.write_text(render_contract_markdown(), encoding="utf-8")
    print(f"wrote {target}")
