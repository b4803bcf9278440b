"""Settings from environment variables (prefix ``TIDTAM_``) or a ``.env`` file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
TELEGRAM_API_FILE_URL = "https://api.telegram.org/file/bot"


class Settings(BaseSettings):
    """Everything an operator can configure; see the README's table."""

    model_config = SettingsConfigDict(
        env_prefix="TIDTAM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = Field(default=None, description="token from BotFather")
    bot_username: str | None = Field(
        default=None, description="the bot's @username, for invite links made offline"
    )
    api_base_url: str = Field(default=TELEGRAM_API_BASE_URL, description="Bot API base URL")
    api_file_url: str = Field(default=TELEGRAM_API_FILE_URL, description="Bot API file URL")
    database_url: str = Field(default="sqlite+aiosqlite:///tidtam.db", description="database")
    timezone: str = Field(default="Asia/Bangkok", description="office time zone")
    default_language: Literal["th", "en"] = Field(
        default="th", description="language for people who have not chosen one"
    )
    draft_ttl: dt.timedelta = Field(
        default=dt.timedelta(days=3), description="how long an unfinished flow is kept"
    )
    invite_ttl: dt.timedelta = Field(
        default=dt.timedelta(days=14), description="how long a new invite code is valid"
    )
    reminder_time: dt.time = Field(
        default=dt.time(8, 30), description="time of day reminders go out (office clock)"
    )
    reminder_max_hold: dt.timedelta = Field(
        default=dt.timedelta(hours=2),
        description="longest a reminder waits for a person to finish an open flow",
    )
    evidence_dir: Path | None = Field(
        default=None,
        description="folder for local copies of evidence files; unset: keep Telegram file ids only",
    )
    office_name_th: str = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาชลบุรี ระยอง"
    office_name_en: str = "Secondary Educational Service Area Office Chonburi Rayong"
    log_level: str = "INFO"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("evidence_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # An empty TIDTAM_EVIDENCE_DIR= would otherwise mean the working directory.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("api_base_url", "api_file_url")
    @classmethod
    def _no_trailing_token(cls, value: str) -> str:
        return value.strip()

    @property
    def tz(self) -> ZoneInfo:
        """The office time zone."""
        return ZoneInfo(self.timezone)

    def token(self) -> str:
        """The bot token; a clear error when it is not configured."""
        if self.bot_token is None or not self.bot_token.get_secret_value():
            raise RuntimeError(
                "TIDTAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token "
                "in the environment or in .env"
            )
        return self.bot_token.get_secret_value()
