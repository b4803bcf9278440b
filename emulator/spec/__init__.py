"""Data package holding the Telegram Bot API specification used by the emulator.

It is a package (not a plain directory) so that setuptools ships the JSON and
its licence as package data next to the code that reads them.
"""
