"""The local sandbox's Python environment as the app shows it, from the runtime's
`GET /environment` (our extension route: E2B cloud has no such thing, and needs none).

The runtime builds the environment in the background while it serves, so the app opens at
once and every other language runs meanwhile; this reads the state (building, ready,
failed), the build's progress and, on failure, the reason and the command that retries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class EnvironmentStatus:
    """What the runtime says about its sandbox environment."""

    state: str  # building, ready, failed
    profile: str | None
    path: str
    progress: dict[str, Any] | None = None
    error: str | None = None
    retry: str | None = None

    @property
    def building(self) -> bool:
        return self.state == "building"

    @property
    def failed(self) -> bool:
        return self.state == "failed"


async def fetch_environment(url: str) -> EnvironmentStatus | None:
    """The status of the runtime at `url`; None when it has no such route or cannot answer."""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{url.rstrip('/')}/environment")
        if response.status_code != 200:
            return None
        data = response.json()
        return EnvironmentStatus(
            state=str(data["state"]),
            profile=data.get("profile"),
            path=str(data.get("path", "")),
            progress=data.get("progress"),
            error=data.get("error"),
            retry=data.get("retry"),
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def describe(status: EnvironmentStatus) -> str:
    """One or two lines for a status bar: what is being prepared, or why python cannot run."""
    name = f"profile {status.profile}" if status.profile else status.path
    if status.building:
        progress = status.progress or {}
        step = progress.get("message") or "starting"
        elapsed = progress.get("elapsed_s")
        took = f" · {elapsed:.0f} s" if isinstance(elapsed, (int, float)) else ""
        return f"Preparing the sandbox environment ({name}): {step}{took}"
    if status.failed:
        first = (status.error or "unknown error").splitlines()[0]
        retry = f"\nRetry with: {status.retry}" if status.retry else ""
        return f"Python cannot run: its sandbox environment ({name}) could not be built: {first}{retry}"
    return ""
