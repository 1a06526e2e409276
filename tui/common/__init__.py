"""Facts every layer needs: languages, terminal text, safe file writes.

A leaf package: it imports nothing else of `tui` and no UI library, so the runtime, the
headless core and the app all build on the same definitions (import-linter keeps it so).
"""
