"""Keep deleted polls' link names out of use for a while; let a poll with answers be deleted.

Vote.choice moves from PROTECT to RESTRICT, which only Django enforces (no schema change):
deleting a poll deletes its votes through their entries, so the choices may go too.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0004_entry_name_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeletedSlug",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.CharField(max_length=80, unique=True)),
                ("deleted", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "deleted link name",
                "verbose_name_plural": "deleted link names",
            },
        ),
        migrations.AlterField(
            model_name="vote",
            name="choice",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="votes",
                to="polls.choice",
            ),
        ),
    ]
