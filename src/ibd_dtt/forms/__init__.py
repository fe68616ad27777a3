"""Forms to collect registry data, generated from the data contract: the fill-in Excel
template (``ibd-dtt template``) and the REDCap project (data dictionary)."""

from ibd_dtt.forms.excel import STUDY_YAML_TEMPLATE, write_template

__all__ = ["STUDY_YAML_TEMPLATE", "write_template"]
