"""The analysed cohort, one row per patient, with what the report's tables need.

Every column here is derived from the validated tables and the index DTT episode; the
derivations are small and named, so each number in the report traces back to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ibd_dtt.contract.codes import FAILURE_STOP_REASONS
from ibd_dtt.episodes.episodes import DAYS_PER_MONTH

BIOLOGIC_CLASSES = frozenset({"anti_tnf", "anti_integrin", "anti_il12_23", "anti_il23_p19"})
SMALL_MOLECULE_CLASSES = frozenset({"jak", "s1p"})


@dataclass(frozen=True)
class Cohort:
    """Analysed patients joined to their index episode, and their therapy history.

    ``patients``: one row per analysed patient (patient columns + ``dtt_start``, ``regimen``,
    ``status``, ``duration_months``, ``disease_duration_months`` ...).
    ``prior_therapies``: every therapy course that ended on or before the DTT start, with
    ``failed`` (stopped for primary non-response, loss of response, intolerance or an
    adverse event) and ``agent_type`` (biologic, small_molecule, immunomodulator, ...).
    """

    patients: pd.DataFrame
    episodes: pd.DataFrame
    prior_therapies: pd.DataFrame
    adverse_events: pd.DataFrame
    data_cut: pd.Timestamp


def is_on_dtt(visits: pd.DataFrame) -> pd.Series:
    """Analysis visits made while the DTT episode ran. Laboratory tables and figures use only
    these, whatever the definition set's after-episode policy for outcomes."""
    return ~visits["after_episode"].fillna(False).astype(bool)


def classify_agent(therapies: pd.DataFrame) -> pd.Series:
    """biologic / small_molecule / immunomodulator / corticosteroid / aminosalicylate / other.

    >>> therapies = pd.DataFrame({"drug_category": ["advanced", "advanced", "immunomodulator"],
    ...                           "mechanism_class": ["anti_tnf", "jak", "thiopurine"]})
    >>> classify_agent(therapies).tolist()
    ['biologic', 'small_molecule', 'immunomodulator']
    """
    category = therapies["drug_category"].astype("object")
    mechanism = therapies["mechanism_class"].astype("object")
    out = category.where(
        category.isin(["immunomodulator", "corticosteroid", "aminosalicylate"]), "other"
    )
    out = out.mask(mechanism.isin(BIOLOGIC_CLASSES), "biologic")
    out = out.mask(mechanism.isin(SMALL_MOLECULE_CLASSES), "small_molecule")
    return out


def derive_disease_duration_months(diagnosis_date: pd.Series, dtt_start: pd.Series) -> pd.Series:
    """Whole calendar months from the diagnosis month to the DTT start month.

    Month resolution because diagnosis dates are often known only to the month.

    >>> derive_disease_duration_months(pd.Series(pd.to_datetime(["2016-03-01"])),
    ...                                pd.Series(pd.to_datetime(["2022-03-10"]))).tolist()
    [72]
    """
    dx, start = pd.to_datetime(diagnosis_date), pd.to_datetime(dtt_start)
    months = (start.dt.year - dx.dt.year) * 12 + (start.dt.month - dx.dt.month)
    return months.astype("Int64")


def build_cohort(
    patients: pd.DataFrame,
    therapies: pd.DataFrame,
    adverse_events: pd.DataFrame,
    index_episodes: pd.DataFrame,
    screening: pd.DataFrame,
    data_cut,
) -> Cohort:
    """Join analysed patients to their index episode and classify their prior therapy."""
    analysed = screening.loc[screening["decision"] == "analysed", "patient_id"]
    episodes = index_episodes[index_episodes["patient_id"].isin(analysed)].copy()
    episodes = episodes.rename(columns={"start_date": "dtt_start", "end_date": "dtt_end"})
    frame = patients[patients["patient_id"].isin(analysed)].merge(
        episodes, on="patient_id", how="inner", validate="one_to_one"
    )
    frame["disease_duration_months"] = derive_disease_duration_months(
        frame["diagnosis_date"], frame["dtt_start"]
    )
    frame["disease_duration_years"] = frame["disease_duration_months"].astype(float) / 12
    frame["discontinued"] = frame["status"] != "maintained"
    frame = frame.sort_values("patient_id").reset_index(drop=True)

    starts = frame.set_index("patient_id")["dtt_start"]
    t = therapies[therapies["patient_id"].isin(starts.index)].copy()
    t["dtt_start"] = t["patient_id"].map(starts)
    prior = t[t["stop_date"].notna() & (t["stop_date"] <= t["dtt_start"])].copy()
    prior["agent_type"] = classify_agent(prior)
    prior["failed"] = prior["stop_reason"].isin(FAILURE_STOP_REASONS).fillna(False).astype(bool)
    prior = prior.reset_index(drop=True)

    def count(mask: pd.Series) -> pd.Series:
        return (
            prior[mask].groupby("patient_id").size().reindex(frame["patient_id"], fill_value=0)
        ).to_numpy()

    biologic = prior["agent_type"] == "biologic"
    other_agents = prior["agent_type"].isin(["immunomodulator", "small_molecule"])
    frame["prior_biologics"] = count(biologic)
    frame["failed_biologics"] = count(biologic & prior["failed"])
    frame["failed_immunomodulators_or_small_molecules"] = count(other_agents & prior["failed"])
    failed_advanced = prior[
        prior["failed"] & prior["agent_type"].isin(["biologic", "small_molecule"])
    ]
    frame["failed_mechanisms"] = (
        failed_advanced.groupby("patient_id")["mechanism_class"]
        .nunique()
        .reindex(frame["patient_id"], fill_value=0)
        .to_numpy()
    )
    frame["failed_agents"] = count(
        prior["failed"]
        & prior["agent_type"].isin(["biologic", "small_molecule", "immunomodulator"])
    )

    ae = adverse_events[adverse_events["patient_id"].isin(starts.index)].copy()
    ae = ae.merge(
        frame[["patient_id", "dtt_start", "dtt_end", "regimen", "diagnosis"]],
        on="patient_id",
        how="left",
    )
    ae["onset_day"] = (ae["onset_date"] - ae["dtt_start"]).dt.days
    ae["during_dtt"] = (ae["onset_day"] >= 0) & (ae["onset_date"] <= ae["dtt_end"])
    ae["onset_month"] = (ae["onset_day"] // DAYS_PER_MONTH + 1).where(ae["onset_day"] >= 0)
    serious = [c for c in ae.columns if c.startswith("serious_")]
    ae["serious"] = ae[serious].fillna(False).astype(bool).any(axis=1) if serious else False
    return Cohort(frame, episodes, prior, ae.reset_index(drop=True), pd.Timestamp(data_cut))
