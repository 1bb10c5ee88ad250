"""Seed the benchmark polls through the real models and services; print their slugs as JSON.

Run with the same BITPOLL_* environment as the server: `python bench/seed.py`.
"""

from __future__ import annotations

import json
import os
import random
import sys

SIZES = {"small": (5, 5), "big": (30, 200), "huge": (60, 2000)}
# Answers go round-robin to copies of the small poll, so that none of them reaches the cap of
# 5,000 answers per poll during a run (at 500 answers a second, a single poll would).
ANSWER_COPIES = 4


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bitpoll.settings")
    import django

    django.setup()
    from django.db import transaction

    from bitpoll.polls import services
    from bitpoll.polls.options import ParsedOption

    rng = random.Random(20261125)  # the same data on every run
    # One answer in a hundred carries a comment, as on a busy real poll.
    slugs: dict[str, str] = {}
    polls = [(size, size, shape) for size, shape in SIZES.items()] + [
        (f"answer-{i + 1}", "small", SIZES["small"]) for i in range(ANSWER_COPIES)
    ]
    for key, size, (n_options, n_answers) in polls:
        options = [
            ParsedOption(text=f"Option {i + 1}", group=f"Group {i // 10 + 1}")
            for i in range(n_options)
        ]
        poll, _admin = services.create_poll(
            title=f"Benchmark {size}: {n_options} options, {n_answers} answers",
            description="Which of these suits you? *Markdown* in the description.",
            kind="text",
            time_zone="Europe/Berlin",
            options=options,
            slug=f"bench-{key}",
        )
        option_ids = list(poll.options.values_list("pk", flat=True))
        choice_ids = list(poll.choices.values_list("pk", flat=True))
        with transaction.atomic():
            for number in range(n_answers):
                answers = {
                    oid: services.Answer(
                        choice_id=rng.choice(choice_ids),
                        comment="works if late" if rng.random() < 0.01 else "",
                    )
                    for oid in option_ids
                }
                services.add_entry(poll, f"Participant {number + 1}", answers)
        slugs[key] = poll.slug
    json.dump(slugs, sys.stdout)


if __name__ == "__main__":
    main()
