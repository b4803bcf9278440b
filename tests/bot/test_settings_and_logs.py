"""Settings come from the environment or .env; the token never reaches a log."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.logs import RedactSecrets, configure_logging
from bot.settings import Settings

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmno"


def test_defaults_follow_the_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    for name in (
        "TIDTAM_BOT_TOKEN",
        "TIDTAM_DATABASE_URL",
        "TIDTAM_TIMEZONE",
        "TIDTAM_DEFAULT_LANGUAGE",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///tidtam.db"
    assert settings.timezone == "Asia/Bangkok"
    assert settings.default_language == "th"
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.draft_ttl == dt.timedelta(days=3)
    with pytest.raises(RuntimeError, match="TIDTAM_BOT_TOKEN"):
        settings.token()


def test_env_file_is_read_and_the_token_is_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIDTAM_BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text(
        f"TIDTAM_BOT_TOKEN={TOKEN}\nTIDTAM_API_BASE_URL=http://127.0.0.1:8081/bot\nTIDTAM_DEFAULT_LANGUAGE=en\n"
    )
    settings = Settings()
    assert settings.token() == TOKEN
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.default_language == "en"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_an_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TIDTAM_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings()


def test_the_token_is_redacted_from_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
):
    logger = logging.getLogger("tidtam.test")
    caplog.handler.addFilter(RedactSecrets(TOKEN))
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        logger.exception("request to %s failed", f"https://api.telegram.org/bot{TOKEN}/getMe")
    logger.warning("a token-shaped string 987654321:BBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx too")
    text = caplog.text
    assert TOKEN not in text
    assert "987654321:BB" not in text
    assert "<token>" in text
    assert "getMe failed" in text


def test_configured_logging_quiets_httpx_which_logs_token_urls():
    configure_logging("DEBUG", secrets=(TOKEN,))
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
