"""Widgets of the workbench app (Textual)."""
