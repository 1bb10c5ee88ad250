"""Import the original Bitpoll's database: plan (read both sides, decide), then write.

`plan()` reads the source and the target but writes nothing, so `--dry-run` prints exactly
the report a real run prints. `apply()` writes the plan in one transaction: any error leaves
the target as it was. What was imported before (LegacyPoll, ImportedRow) is skipped, so a
second run imports nothing twice.
"""

from __future__ import annotations

from bitpoll.importer.plan import plan
from bitpoll.importer.report import ImportRefused, Options, Report
from bitpoll.importer.source import Source
from bitpoll.importer.write import apply


def run(source: Source, options: Options, dry_run: bool) -> Report:
    """Plan, then apply unless `dry_run`. A dry run returns the report with its refusals;
    a real run raises ImportRefused instead of writing anything when there are any."""
    result = plan(source, options)
    if dry_run:
        return result.report
    if result.refusals:
        raise ImportRefused("\n".join(result.refusals))
    return apply(result, options)
