"""Behaviour the main screen composes: each controller owns one job and talks to the app
through its public API (push screens, notify, the session), never through a mixin."""
