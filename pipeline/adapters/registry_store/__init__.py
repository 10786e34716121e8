"""The registry's storage: the CSV import written to the database (`import_registry`), the grants and
removals that change it (`changes`), and the live look-ups the checks make in SQL (`RegistryView`).
The registry's pure parts (rows, validation, centre names, the look-up protocol, the in-memory twin) are
in pipeline.registry."""

from pipeline.adapters.registry_store.importer import import_registry
from pipeline.adapters.registry_store.view import RegistryView

__all__ = ["RegistryView", "import_registry"]
