"""Publishing gated marts for BI (`bi`) and the by-name target lists per kabupaten/kota (`restricted`)."""

from pipelines.publishing.bi import MARTS, DuckDBLimits, Publication, PublishError, publish_bi_marts
from pipelines.publishing.restricted import publish_restricted_lists

__all__ = [
    "MARTS",
    "DuckDBLimits",
    "Publication",
    "PublishError",
    "publish_bi_marts",
    "publish_restricted_lists",
]
