"""The treasurer's desktop application (PySide6)."""
