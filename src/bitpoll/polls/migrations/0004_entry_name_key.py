"""Store each answer's normalised name in polls with one answer per name, unique per poll.

Existing answers get their key; where earlier answers already share a name (the old check ran
outside the write and could be raced), the oldest keeps the key and the others none.
"""

from django.db import migrations, models


def fill_name_keys(apps, schema_editor):
    from bitpoll.polls.names import name_key

    Entry = apps.get_model("polls", "Entry")
    entries = Entry.objects.filter(poll__one_answer_per_name=True).exclude(name="")
    seen = set()
    changed = []
    for entry in entries.order_by("poll_id", "created", "pk").iterator(chunk_size=2000):
        key = name_key(entry.name)
        if key and (entry.poll_id, key) not in seen:
            seen.add((entry.poll_id, key))
            entry.name_key = key
            changed.append(entry)
    Entry.objects.bulk_update(changed, ["name_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0003_poll_listed_publicly"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="name_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=255),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("name_key", ""), _negated=True),
                fields=("poll", "name_key"),
                name="polls_entry_one_answer_per_name",
            ),
        ),
    ]
