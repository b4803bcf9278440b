"""The command line as an operator uses it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from domain import invite_codes

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIDTAM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TIDTAM_BOT_USERNAME", "tidtam_test_bot")
    monkeypatch.delenv("TIDTAM_BOT_TOKEN", raising=False)
    return tmp_path


def test_init_sample_loads_the_district_once(workdir: Path):
    first = runner.invoke(app, ["init", "--sample"])
    assert first.exit_code == 0, first.output
    assert "51 schools" in first.output
    second = runner.invoke(app, ["init", "--sample"])
    assert second.exit_code == 0
    assert "nothing changed" in second.output


def test_invites_for_all_schools_write_a_csv_with_links(workdir: Path):
    runner.invoke(app, ["init", "--sample"])
    result = runner.invoke(app, ["invites", "--all", "--role", "reporter", "--csv", "invites.csv"])
    assert result.exit_code == 0, result.output
    with (workdir / "invites.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 51
    assert list(rows[0]) == [
        "school_code",
        "school_name",
        "role",
        "code",
        "link",
        "expires_at",
        "person_code",  # filled for personal invites (--planned) only
        "person_name",
    ]
    assert rows[0]["person_name"] == ""
    first = rows[0]
    code = invite_codes.normalize(first["code"])
    assert code is not None
    assert first["link"] == f"https://t.me/tidtam_test_bot?start={code}"
    assert first["role"] == "reporter"
    assert len({row["code"] for row in rows}) == 51


def test_invites_for_an_unknown_school_fail_clearly(workdir: Path):
    runner.invoke(app, ["init", "--sample"])
    result = runner.invoke(app, ["invites", "--school", "NOPE"])
    assert result.exit_code == 1
    assert "NOPE" in result.output


def test_run_without_a_token_explains_what_to_set(workdir: Path):
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 1
    assert "TIDTAM_BOT_TOKEN" in result.output
