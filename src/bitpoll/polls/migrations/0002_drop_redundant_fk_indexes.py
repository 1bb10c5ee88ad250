"""Drop the two foreign-key indexes that a composite index already covers.

Entry.poll leads polls_entry_poll_created and Vote.entry leads the unique (entry, option)
constraint, so the separate indexes only cost time on every answer stored.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="entry",
            name="poll",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="entries",
                to="polls.poll",
            ),
        ),
        migrations.AlterField(
            model_name="vote",
            name="entry",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="votes",
                to="polls.entry",
            ),
        ),
    ]
