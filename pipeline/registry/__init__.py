"""The registry: operators (driftsoperatører), centres (mottak) and IMDinett users with their roles.

CSV import (`import_registry`); the look-ups the checks make (`RegistryLookup`), in SQL on the live
registry (`RegistryView`) or in memory (`MemoryRegistry`, for tests and tools without a database).
"""

from typing import Any

from pipeline.core.names import NameParts, name_parts, normalise_centre_name
from pipeline.registry.centres import CentreIndex, CentreInfo, Resolution
from pipeline.registry.lookup import OperatorInfo, RegistryIndex, RegistryLookup, TaskHolder, UserInfo
from pipeline.registry.memory import MemoryRegistry
from pipeline.registry.report import FileReport, ImportReport, Rejection

__all__ = [
    "CentreIndex", "CentreInfo", "FileReport", "ImportReport", "MemoryRegistry", "NameParts", "OperatorInfo",
    "RegistryIndex", "RegistryLookup", "RegistryView", "Rejection", "Resolution", "TaskHolder", "UserInfo",
    "import_registry", "name_parts", "normalise_centre_name",
]


def __getattr__(name: str) -> Any:
    # Lazy: the checks import the pure look-up protocol from here and must not pull in the database layer.
    if name == "RegistryView":
        from pipeline.registry.view import RegistryView

        return RegistryView
    if name == "import_registry":
        from pipeline.registry.importer import import_registry

        return import_registry
    raise AttributeError(name)
