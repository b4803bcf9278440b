"""Cold start of ``tidtam run`` until it polls Telegram (target: under 2 s).

Starts the real command as a new process against the local Bot API emulator,
on a database that already exists, and measures the time from process start
to the moment it starts long polling — imports, settings, migrations check,
persistence load, getMe and command menus included. python-telegram-bot
sends deleteWebhook immediately before its first getUpdates, and the
emulator records a long poll only when it returns, so the deleteWebhook
request marks the start of polling.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import machine, result
from bot.harness import LOCAL_TOKEN, LOCAL_USERNAME
from emulator import BotApiEmulator

TARGET_SECONDS = 2.0
RUNS = 5


async def one_start(emulator: BotApiEmulator, env: dict[str, str], workdir: Path) -> float:
    before = len(emulator.calls("deleteWebhook"))
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        while len(emulator.calls("deleteWebhook")) == before:
            if time.perf_counter() - started > 30:
                raise TimeoutError("the bot did not poll within 30 s")
            await asyncio.sleep(0.005)
        return time.perf_counter() - started
    finally:
        process.terminate()
        await process.wait()


async def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        async with BotApiEmulator(token=LOCAL_TOKEN, bot_username=LOCAL_USERNAME) as emulator:
            env = {k: v for k, v in os.environ.items() if not k.startswith("TIDTAM_")} | {
                "TIDTAM_BOT_TOKEN": LOCAL_TOKEN,
                "TIDTAM_API_BASE_URL": emulator.base_url,
                "TIDTAM_API_FILE_URL": emulator.file_url,
                "TIDTAM_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'tidtam.db'}",
                "TIDTAM_LOG_LEVEL": "WARNING",
            }
            init = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "init",
                "--sample",
                env=env,
                cwd=workdir,
                stdout=asyncio.subprocess.DEVNULL,
            )
            await init.wait()
            await one_start(emulator, env, workdir)  # warm the file cache, as a restart would
            times = [await one_start(emulator, env, workdir) for _ in range(RUNS)]
    median = statistics.median(times)
    print(f"machine: {machine()}")
    print(
        "cold start of `tidtam run` until it polls, seconds: "
        + ", ".join(f"{t:.2f}" for t in times)
    )
    ok = result(
        "cold start (median)",
        f"{median:.2f} s",
        f"< {TARGET_SECONDS:.0f} s",
        median < TARGET_SECONDS,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
