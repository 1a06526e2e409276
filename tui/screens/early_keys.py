"""Keys typed the moment a dialog opens land in its field, not nowhere.

Textual gives a new screen's first widget focus a moment after the screen appears; a key
that arrives in between is sent to the screen, which has no use for it, and is lost. A person
who presses `u` then types a path at once lost its first letters (a tmux test saw
`/tmp/...` arrive as `f-root/...`). A dialog with a text field sends such keys there.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen
from textual.widgets import Input


def to_field(screen: Screen, event: events.Key, field: Input) -> None:
    """Call from a dialog's `on_key`. The field stops every printable key it gets, so one that
    reaches the screen was sent before the field had focus (focus may have arrived since):
    it goes into `field` as if typed there. The first replaces a preset value (focus would
    have selected it), the next ones follow, and a focus that comes later selects nothing."""
    if not event.is_printable or not event.character:
        return
    if not field.selection.is_empty:
        field.replace(event.character, *field.selection)
    else:
        if field.select_on_focus:
            field.value = ""
        field.insert_text_at_cursor(event.character)
    field.select_on_focus = False
    if screen.focused is not field:
        field.focus()
    event.stop()
