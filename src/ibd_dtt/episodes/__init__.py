"""DTT episodes from therapy courses.

``derive_dtt_episodes(therapies, data_cut)`` gives one row per episode (two advanced
therapies of different mechanism classes running together); ``select_index_episodes`` keeps
each patient's first; ``derive_concomitant_therapies`` lists corticosteroids and
immunomodulators running at the DTT start.
"""

from ibd_dtt.episodes.episodes import (
    EPISODE_COLUMNS,
    EpisodeOptions,
    derive_concomitant_therapies,
    derive_dtt_episodes,
    select_index_episodes,
)

__all__ = [
    "EPISODE_COLUMNS",
    "EpisodeOptions",
    "derive_concomitant_therapies",
    "derive_dtt_episodes",
    "select_index_episodes",
]
