"""e2b-workbench: a terminal workbench for the E2B code interpreter."""

__version__ = "0.1.0"
