"""Storage: schema, migrations, repositories and the bot's persistence.

Imports nothing above it; handlers and jobs reach the database only through
:class:`storage.database.Database` and the repositories it hands out.
"""
