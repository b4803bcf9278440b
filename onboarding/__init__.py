"""Bringing the office's plan into Tidtam and handing it out again.

The plan travels as one workbook (or a folder of CSV files) in a documented
template: :mod:`onboarding.sheets` declares every sheet and column,
:mod:`onboarding.workbook` writes the empty template and exports,
:mod:`onboarding.reader` reads what an office sends, :mod:`onboarding.rows`
validates each row, :mod:`onboarding.importer` checks the rows against each
other and the database and applies them all or nothing, and
:mod:`onboarding.report` renders the outcome in Thai or English.
:mod:`onboarding.invite_sheet` prints invite cards with QR codes.

This package sits beside ``reports/``: it uses ``storage`` and ``domain`` and
knows nothing of Telegram.
"""
