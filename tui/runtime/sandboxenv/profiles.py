"""The package sets a sandbox environment can be built from.

`default` is the package set of E2B's code-interpreter template (its `requirements.txt`),
at E2B's pins, so code that runs on E2B runs here with the same library versions (with
matplotlib 3.10, `ax.boxplot(..., labels=...)` still works; 3.11 removed it). The heavy
NLP, audio and vision packages of that template are in `full`, opt-in. `minimal` is what
charts and DataFrames need; the tests use it.

Every pin below installs on CPython 3.11 from PyPI (checked with `uv pip compile` and a
real install). One pin differs from "latest" in E2B's list: e2b-charts is pinned to
0.0.4, because e2b-charts 1.0 requires numpy >= 2.2.6 and E2B's template pins numpy
1.26.4 (a resolver picks 0.0.4 for that set anyway; the pin says so out loud).
"""

from __future__ import annotations

from dataclasses import dataclass

# Shared by every profile: the kernel and what the runtime's IPython extension uses
# (DataFrames as `data`, figures as `png` + `chart`, PIL images as results).
_CORE = (
    "ipykernel==6.29.5",
    "ipython==9.2.0",
    "numpy==1.26.4",
    "pandas==2.2.3",
    "matplotlib==3.10.3",
    "pillow==11.2.1",
    "e2b-charts==0.0.4",  # 1.0 needs numpy >= 2.2.6; E2B pins numpy 1.26.4
)

_TEMPLATE = (
    "jupyter-server==2.16.0",
    "orjson==3.10.18",
    "aiohttp==3.12.9",
    "beautifulsoup4==4.13.4",
    "bokeh==3.7.3",
    "imageio==2.37.0",
    "joblib==1.5.1",
    "openpyxl==3.1.5",
    "plotly==6.1.2",
    "pytest==8.4.0",
    "python-docx==1.1.2",
    "pytz==2025.2",
    "requests==2.32.4",
    "scikit-learn==1.7.0",
    "scipy==1.13.1",
    "seaborn==0.13.2",
    "tornado==6.5.1",
    "urllib3==2.4.0",
    "xarray==2025.6.1",
    "xlrd==2.0.1",
    "sympy==1.14.0",
)

# E2B's heavy NLP, audio and vision packages (about 700 MB more). kaleido 1.x renders
# plotly figures through a Chrome it does not ship: without one, `fig.write_image` fails.
_HEAVY = (
    "gensim==4.3.3",
    "librosa==0.11.0",
    "nltk==3.9.1",
    "numba==0.61.2",
    "opencv-python==4.11.0.86",
    "kaleido==1.0.0",
    "scikit-image==0.25.2",
    "soundfile==0.13.1",
    "spacy==3.8.2",
    "textblob==0.19.0",
)


@dataclass(frozen=True)
class Profile:
    """A named package set; `size_mb` is about what a build takes on disk (for the space check)."""

    name: str
    summary: str
    requirements: tuple[str, ...]
    size_mb: int


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("minimal", "what charts and DataFrames need; the tests use it", _CORE, 300),
        Profile(
            "default", "E2B's code-interpreter template without its heavy packages", _CORE + _TEMPLATE, 700
        ),
        Profile(
            "full",
            "E2B's whole template: default plus NLP, audio and vision",
            _CORE + _TEMPLATE + _HEAVY,
            1400,
        ),
    )
}
DEFAULT_PROFILE = "default"


class UnknownProfile(ValueError):
    """A profile name that is not in PROFILES."""


def get_profile(name: str) -> Profile:
    """The profile called `name` (case and surrounding spaces ignored)."""
    found = PROFILES.get(name.strip().lower())
    if found is None:
        raise UnknownProfile(f"Unknown sandbox profile {name!r}. Profiles: {', '.join(PROFILES)}.")
    return found
