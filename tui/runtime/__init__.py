"""The local runtime: a server speaking E2B's code-interpreter protocol over Jupyter kernels.

Headless by design: it never imports Textual, nor `tui.core`.
"""
