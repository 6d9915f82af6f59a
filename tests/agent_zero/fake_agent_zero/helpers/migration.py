"""Stand-in of Agent Zero's helpers.migration: the startup_migration point (run_ui.py calls it
before the first agent exists)."""
from helpers import extension


def startup_migration():
    extension.call_extensions_sync("startup_migration", None)
