"""Pure rules of the product, with no I/O: values, calendar, catalogs.

Everything here is importable by every other layer and imports none of them.
"""
