"""The registry: operators (driftsoperatører), centres (mottak) and existing IMDinett users.

CSV import (`import_registry`) and read-only look-ups for the checks (`RegistryView`).
"""

from pipeline.registry.centres import CentreIndex, CentreInfo, Resolution
from pipeline.registry.importer import import_registry
from pipeline.registry.names import NameParts, name_parts, normalise_centre_name
from pipeline.registry.report import FileReport, ImportReport, Rejection
from pipeline.registry.view import OperatorInfo, RegistryView, TaskHolder, UserInfo

__all__ = [
    "CentreIndex", "CentreInfo", "FileReport", "ImportReport", "NameParts", "OperatorInfo", "RegistryView",
    "Rejection", "Resolution", "TaskHolder", "UserInfo", "import_registry", "name_parts",
    "normalise_centre_name",
]
