"""Headless core: sessions, execution records, stores (never imports Textual)."""
