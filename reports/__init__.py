"""Summaries compiled from stored data, and their renderings.

Each report is computed once by a pure function over query results and then
rendered (chat HTML now; XLSX, PDF, PNG and CSV read the same objects), so
every format shows the same numbers.
"""
