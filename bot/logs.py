"""Logging that never writes the bot token."""

from __future__ import annotations

import logging
import re
from typing import Final

# A Telegram token: numeric bot id, colon, 35 url-safe characters. Redacted
# wherever it appears, even if it is not the configured one.
TOKEN_PATTERN: Final = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


_HANDLER_NAME = "tidtam"


class RedactSecrets(logging.Filter):
    """Replace the bot token (and anything shaped like one) in every record."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return TOKEN_PATTERN.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # the formatted traceback would repeat URLs that carry the token
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(level: str = "INFO", *, secrets: tuple[str, ...] = ()) -> None:
    """Log to stderr, with every handler's output redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(*secrets))
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    # replace only our own handler, so that configuring twice does not log twice
    # and handlers installed by others (a test runner's capture) stay in place
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs every request URL, and Bot API URLs contain the token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
