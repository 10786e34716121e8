"""The registry: operators (driftsoperatører), centres (mottak) and IMDinett users with their roles.

Its pure parts: the CSV rows and their validation, centre names, the look-ups the checks make
(`RegistryLookup`) and their in-memory twin (`MemoryRegistry`, for tests and tools without a database).
Its storage (the import, grants and removals, `RegistryView` in SQL) is pipeline.adapters.registry_store.
"""

from pipeline.core.names import NameParts, name_parts, normalise_centre_name
from pipeline.registry.centre_index import CentreIndex, CentreInfo, Resolution
from pipeline.registry.lookup import OperatorInfo, RegistryIndex, RegistryLookup, TaskHolder, UserInfo
from pipeline.registry.memory import MemoryRegistry
from pipeline.registry.report import FileReport, ImportReport, Rejection

__all__ = [
    "CentreIndex", "CentreInfo", "FileReport", "ImportReport", "MemoryRegistry", "NameParts", "OperatorInfo",
    "RegistryIndex", "RegistryLookup", "Rejection", "Resolution", "TaskHolder", "UserInfo",
    "name_parts", "normalise_centre_name",
]
