"""Landing: raw extracts from the drop zone into schema `raw` of the warehouse, typed, traced, quarantined."""

from pipelines.landing import dropzone
from pipelines.landing.engine import LandingReport, land_source
from pipelines.landing.reading import UnreadableFileError
from pipelines.landing.sources import SOURCES

__all__ = ["SOURCES", "LandingReport", "UnreadableFileError", "dropzone", "land_source"]
