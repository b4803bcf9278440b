"""Chat flows: parse the update, call a use case, render the reply.

The guard runs first, in group -2, and may stop an update there. Then the
flow router (group -1) hands typed answers and files to the person's open
flow, if any. Then order matters: handlers share group 0, where the first
match wins, so flows come first, then plain commands, then the catch-alls.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    announce,
    certify,
    correct,
    flow,
    invite,
    kpi,
    ladder,
    nudge,
    people,
    plan_import,
    report,
    start,
    status,
    summary,
)
from handlers.errors import on_error
from handlers.guard import guard_handler


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Attach every handler and the error handler."""
    application.add_handler(guard_handler(), group=-2)
    flow.register_handlers(application)
    kpi.register_handlers(application)
    report.register_handlers(application)
    correct.register_handlers(application)
    status.register_handlers(application)
    certify.register_handlers(application)
    summary.register_handlers(application)
    nudge.register_handlers(application)
    announce.register_handlers(application)
    ladder.register_handlers(application)
    invite.register_handlers(application)
    people.register_handlers(application)
    plan_import.register_handlers(application)
    start.register_handlers(application)
    start.register_fallbacks(application)
    application.add_error_handler(on_error)
