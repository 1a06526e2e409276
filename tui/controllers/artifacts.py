"""The images and charts of a run: pick one, preview it, draw its chart, save it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.screen import ModalScreen

from ..core.artifacts import Artifact, artifacts_of
from ..core.records import ExecutionRecord
from ..core.saving import existing, save_plan, target_from_input, write_plan
from ..screens.artifacts import ArtifactsScreen
from ..screens.chart import ChartScreen
from ..screens.confirm import ConfirmScreen
from ..screens.preview import PreviewScreen
from ..screens.prompt import PromptScreen


class ArtifactDialogs:
    """Opens the artifact dialogs on `app`; `graphics` is how previews draw (g switches it)."""

    def __init__(self, app: App, graphics: str) -> None:
        self.app = app
        self.graphics = graphics

    def for_record(self, record: ExecutionRecord, action: str) -> None:
        """`action` (list, preview, chart, save) on the artifacts of `record`."""
        if isinstance(self.app.screen, ModalScreen):  # a key typed ahead while a dialog was closing
            return
        artifacts = artifacts_of(record)
        run = f"Run [{record.execution_count or '*'}]"
        if not artifacts:
            self.app.notify(f"{run} made no images or charts.")
            return
        if action == "chart":
            artifacts = [a for a in artifacts if a.chart is not None]
            if not artifacts:
                self.app.notify(f"{run} has images but no chart data to draw: p previews them.")
                return
        if action != "list" and len(artifacts) == 1:
            self.open(artifacts[0], action)
            return

        def chosen(choice: tuple[Artifact, str] | None) -> None:
            if choice is not None:
                self.open(*choice)

        count = f"{len(artifacts)} artifact{'s' if len(artifacts) != 1 else ''}"
        self.app.push_screen(ArtifactsScreen(f"{run} · {count}", artifacts), chosen)

    def open(self, artifact: Artifact, action: str) -> None:
        """Preview, draw (chart) or save one artifact (never on top of another dialog)."""
        if isinstance(self.app.screen, ModalScreen):
            return
        if action == "preview":

            def closed(mode: str | None) -> None:
                if mode:
                    self.graphics = mode

            self.app.push_screen(PreviewScreen(artifact, self.graphics), closed)
        elif action == "chart":
            if artifact.chart is None:
                self.app.notify(f"{artifact.name} has no chart data to draw: p previews the image.")
                return
            self.app.push_screen(ChartScreen(artifact))
        elif action == "save":
            self.ask_save(artifact)

    def ask_save(self, artifact: Artifact) -> None:
        cwd = Path.cwd()
        default = target_from_input("", artifact, cwd)
        shown = str(default.relative_to(cwd)) if default.is_relative_to(cwd) else str(default)
        extra = [suffix for suffix, _data in artifact.files()[1:]]
        also = f" (with {', '.join(extra)} next to it)" if extra else ""

        def chosen(value: str | None) -> None:
            if value is None:
                return
            plan = save_plan(artifact, target_from_input(value, artifact, cwd))
            taken = existing(plan)
            if not taken:
                self._save(plan, overwrite=False)
                return
            names = ", ".join(str(p) for p in taken)

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._save(plan, overwrite=True)
                else:
                    self.app.notify("Not saved: nothing was overwritten.")

            verb = "exist" if len(taken) > 1 else "exists"
            self.app.push_screen(ConfirmScreen(f"{names} already {verb}. Replace?", "Replace"), confirmed)

        self.app.push_screen(PromptScreen(f"Save {artifact.name} as{also}", shown, shown), chosen)

    def _save(self, plan: list[tuple[Path, bytes]], overwrite: bool) -> None:
        try:
            written = write_plan(plan, overwrite=overwrite)
        except FileExistsError as err:
            self.app.notify(f"Not saved: {err} appeared meanwhile.", severity="warning")
            return
        except OSError as err:
            self.app.notify(f"Could not save: {err}", title="Save", severity="error", timeout=10)
            return
        folder = written[0].parent
        names = ", ".join(p.name for p in written)
        self.app.notify(f"Saved {names} in {folder}", title="Saved", timeout=8)
