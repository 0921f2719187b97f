"""Hall Treasurer: the domain core (no GUI, no servers)."""

__version__ = "0.1.0"
