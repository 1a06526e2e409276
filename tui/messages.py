"""The messages of a run's path, from the session thread to the main screen.

The session thread calls a `SessionListener`, which only posts: `RunUpdated` says a
record has new output (repeats coalesce: Textual drops an update when the next one in
the queue is for the same run), `RunFinished` that the record is final.
"""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump

from .core.records import ExecutionRecord


class RunUpdated(Message):
    """A run has new output, results or an error to show."""

    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunUpdated) and message.seq == self.seq


class RunFinished(Message):
    """A run ended; its record is final."""

    def __init__(self, record: ExecutionRecord) -> None:
        super().__init__()
        self.record = record


class SessionListener:
    """The session's RunListener: called on the session thread, posts to `target`."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target

    def on_update(self, record: ExecutionRecord) -> None:
        self.target.post_message(RunUpdated(record.seq))

    def on_finished(self, record: ExecutionRecord) -> None:
        self.target.post_message(RunFinished(record))
