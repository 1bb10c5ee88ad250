"""Index the votes that carry a comment, per answer (see Vote.Meta.indexes)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0008_participant_order_summary_only"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="vote",
            index=models.Index(
                condition=models.Q(("comment", ""), _negated=True),
                fields=["entry"],
                name="polls_vote_noted",
            ),
        ),
    ]
