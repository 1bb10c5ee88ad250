"""What an import tells the operator, and how it was asked to run."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

SLUG_POLICIES = ("refuse", "rename", "skip")
ACCOUNT_POLICIES = ("refuse", "merge")


class ImportRefused(Exception):
    """The import cannot run as asked; nothing was written."""


@dataclass
class Report:
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    notes: dict[str, list[str]] = field(
        default_factory=lambda: {"mapped": [], "adjusted": [], "dropped": []}
    )
    admin_links: list[tuple[str, str, str]] = field(default_factory=list)
    # (original link name, link name here) of polls without an owner: each gets an admin link.
    ownerless: list[tuple[str, str]] = field(default_factory=list)
    migration_state: list[str] = field(default_factory=list)
    source: str = ""
    refusals: list[str] = field(default_factory=list)

    def count(self, table: str, what: str, n: int = 1) -> None:
        self.counts[table][what] += n

    def note(self, kind: str, text: str) -> None:
        if text not in self.notes[kind]:
            self.notes[kind].append(text)

    def lines(self, dry_run: bool) -> list[str]:
        out = [f"Source: {self.source}", f"Migration state: {', '.join(self.migration_state)}"]
        verb = "would import" if dry_run else "imported"
        out.append("")
        out.append(f"{'table':<26} {'in source':>9} {verb:>12} {'already':>8} {'skipped':>8}")
        for table, counter in self.counts.items():
            out.append(
                f"{table:<26} {counter['source']:>9} {counter['imported']:>12} "
                f"{counter['already']:>8} {counter['skipped']:>8}"
            )
        for kind in ("mapped", "adjusted", "dropped"):
            if self.notes[kind]:
                out.append("")
                out.append(f"{kind.capitalize()}:")
                out.extend(f"  - {text}" for text in self.notes[kind])
        if dry_run and self.ownerless:
            out.append("")
            out.append("Polls that get an admin link in the report when imported:")
            out.extend(f"  {old} -> {new}" for old, new in self.ownerless)
        if self.admin_links:
            out.append("")
            out.append("Admin links of imported polls (keep them secret):")
            out.extend(f"  {old} -> {new}: {link}" for old, new, link in self.admin_links)
        if self.refusals:
            out.append("")
            out.append("Refused (nothing can be imported until these are resolved):")
            out.extend(f"  - {text}" for text in self.refusals)
        elif not any(c["imported"] for c in self.counts.values()):
            out.append("")
            out.append("Nothing to import: everything in the source was imported before.")
        return out


@dataclass
class Options:
    on_slug_collision: str = "refuse"
    on_account_collision: str = "refuse"
    keep_admin_rights: bool = False
    # Print admin links for owned polls too (their owners otherwise manage them by logging in).
    admin_links_for_all: bool = False
    base_url: str = ""
