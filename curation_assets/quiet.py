"""``curation run`` without ``--verbose``: Dagster's warnings about its own APIs (Beta, Preview,
Supersession), raised on every run while the definitions load, say nothing a user can act on.

The CLI sets ``CURATION_QUIET=1``; its step processes (forked from a forkserver that imports the
definitions afresh) inherit the variable, not the CLI's warning filters, so the definitions module
calls ``silence_api_warnings`` before its assets are built.
"""

from __future__ import annotations

import os
import warnings

QUIET_ENV = "CURATION_QUIET"


def quiet() -> bool:
    return os.environ.get(QUIET_ENV) == "1"


def silence_api_warnings() -> None:
    import dagster as dg

    for category in (dg.BetaWarning, dg.PreviewWarning, dg.SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)
