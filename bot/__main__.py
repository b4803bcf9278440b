"""``python -m bot`` is the ``tidtam`` command."""

from bot.cli import main

main()
