"""Each answer keeps its votes folded into one string (see bitpoll.polls.fold).

Triggers empty an answer's string whenever one of its votes is inserted, changed or deleted,
by whatever path, so that a stored string is never stale (a previous release writing votes
beside this one included); the existing answers get theirs.
"""

from django.db import migrations, models

SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS polls_vote_unfold_insert AFTER INSERT ON polls_vote "
    "BEGIN UPDATE polls_entry SET folded = '' WHERE id = NEW.entry_id AND folded <> ''; END",
    "CREATE TRIGGER IF NOT EXISTS polls_vote_unfold_update "
    "AFTER UPDATE OF entry_id, option_id, choice_id ON polls_vote BEGIN "
    "UPDATE polls_entry SET folded = '' WHERE id IN (OLD.entry_id, NEW.entry_id) "
    "AND folded <> ''; END",
    "CREATE TRIGGER IF NOT EXISTS polls_vote_unfold_delete AFTER DELETE ON polls_vote "
    "BEGIN UPDATE polls_entry SET folded = '' WHERE id = OLD.entry_id AND folded <> ''; END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS polls_vote_unfold_insert",
    "DROP TRIGGER IF EXISTS polls_vote_unfold_update",
    "DROP TRIGGER IF EXISTS polls_vote_unfold_delete",
]
POSTGRESQL_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION polls_vote_unfold() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP <> 'INSERT' THEN "
    "UPDATE polls_entry SET folded = '' WHERE id = OLD.entry_id AND folded <> ''; END IF; "
    "IF TG_OP <> 'DELETE' THEN "
    "UPDATE polls_entry SET folded = '' WHERE id = NEW.entry_id AND folded <> ''; END IF; "
    "RETURN NULL; "
    "END $$",
    "DROP TRIGGER IF EXISTS polls_vote_unfold ON polls_vote",
    "CREATE TRIGGER polls_vote_unfold "
    "AFTER INSERT OR DELETE OR UPDATE OF entry_id, option_id, choice_id ON polls_vote "
    "FOR EACH ROW EXECUTE FUNCTION polls_vote_unfold()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS polls_vote_unfold ON polls_vote",
    "DROP FUNCTION IF EXISTS polls_vote_unfold()",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}[vendor]:
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}[vendor]:
        schema_editor.execute(statement, params=None)


def fill(apps, schema_editor):
    from bitpoll.polls.fold import refold

    refold(connection=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0011_mail"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="folded",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
