"""Plain data, geometry and metrics. Imports no project package, no Qt, no SQLAlchemy."""

from ocrstudio.core.types import PageLabels, Polygon, Region

__all__ = ["PageLabels", "Polygon", "Region"]
