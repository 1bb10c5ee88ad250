"""PostgreSQL: an answer's votes before its entry, and one folding trigger per INSERT.

Counted in instructions on a single-user server (docs/performance.md), bitpoll_answer() spent
nearly a tenth of its work on what the folded string costs around the votes:

- The vote trigger of 0012 ran once per vote, each run an UPDATE of the entry (which found
  nothing to empty). Votes inserted by one statement are now handed to one run of a
  statement-level trigger, through a transition table; updates and deletes keep the row
  trigger (a transition table cannot watch chosen columns, and they are rare).
- The function inserted the entry, its votes (whose trigger then emptied the entry's folded
  string), then stored the string with an UPDATE, after which PostgreSQL checks the entry's
  foreign keys again. It now takes the entry's id from its sequence, inserts the votes first
  and the entry with its folded string last: the votes' key to the entry is checked at
  COMMIT, as Django declares it (DEFERRABLE INITIALLY DEFERRED), when the entry is there.

The function keeps its name and arguments, so a release before this one calls it unchanged
during a rolling upgrade. Nothing changes on SQLite. Tables and columns are named as they are
at this migration, as in 0012 and 0013.
"""

import importlib

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION bitpoll_answer(
    p_poll bigint, p_name text, p_name_key text, p_edit_token_hash text, p_user integer,
    p_account_key bigint, p_now timestamptz, p_email text, p_language text, p_folded text,
    p_options bigint[], p_choices bigint[], p_comments text[],
    p_scopes text[], p_subjects text[], p_buckets bigint[], p_expires bigint[], p_limits bigint[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
    passed text;
BEGIN
    IF cardinality(p_scopes) > 0 THEN
        WITH counted AS (
            INSERT INTO ratelimit_counter (scope, subject, bucket, expires, hits)
            SELECT r.scope, r.subject, r.bucket, r.expires, 1
            FROM unnest(p_scopes, p_subjects, p_buckets, p_expires)
                AS r(scope, subject, bucket, expires)
            ON CONFLICT (scope, subject, bucket)
                DO UPDATE SET hits = ratelimit_counter.hits + 1
            RETURNING ratelimit_counter.scope, ratelimit_counter.hits
        )
        SELECT string_agg(c.scope || '=' || c.hits, ',') INTO passed
        FROM counted c JOIN unnest(p_scopes, p_limits) AS l(scope, most) ON l.scope = c.scope
        WHERE c.hits > l.most;
        IF passed IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'BP429', MESSAGE = passed;
        END IF;
    END IF;
    new_id := nextval(pg_get_serial_sequence('polls_entry', 'id'));
    -- The votes first: their key to the entry is checked at COMMIT, and the folding trigger
    -- finds no entry to empty yet.
    INSERT INTO polls_vote (entry_id, option_id, choice_id, comment)
    SELECT new_id, v.option_id, v.choice_id, v.comment
    FROM unnest(p_options, p_choices, p_comments) AS v(option_id, choice_id, comment);
    INSERT INTO polls_entry (id, poll_id, name, name_key, edit_token_hash, user_id,
                             account_key, created, updated, email, language, folded)
    VALUES (new_id, p_poll, p_name, p_name_key, p_edit_token_hash, p_user, p_account_key,
            p_now, p_now, p_email, p_language, p_folded);
    UPDATE polls_poll SET version = version + 1, updated = p_now WHERE id = p_poll;
    RETURN new_id;
END
$$
"""

TRIGGERS = [
    "CREATE OR REPLACE FUNCTION polls_vote_unfold_inserted() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE polls_entry SET folded = '' "
    "WHERE id IN (SELECT entry_id FROM inserted_votes) AND folded <> ''; "
    "RETURN NULL; END $$",
    # 0012's row trigger without INSERT; its function (polls_vote_unfold) is unchanged.
    "DROP TRIGGER IF EXISTS polls_vote_unfold ON polls_vote",
    "CREATE TRIGGER polls_vote_unfold "
    "AFTER DELETE OR UPDATE OF entry_id, option_id, choice_id ON polls_vote "
    "FOR EACH ROW EXECUTE FUNCTION polls_vote_unfold()",
    "CREATE TRIGGER polls_vote_unfold_insert AFTER INSERT ON polls_vote "
    "REFERENCING NEW TABLE AS inserted_votes "
    "FOR EACH STATEMENT EXECUTE FUNCTION polls_vote_unfold_inserted()",
]
TRIGGERS_BACK = [
    "DROP TRIGGER IF EXISTS polls_vote_unfold_insert ON polls_vote",
    "DROP FUNCTION IF EXISTS polls_vote_unfold_inserted()",
    "DROP TRIGGER IF EXISTS polls_vote_unfold ON polls_vote",
    "CREATE TRIGGER polls_vote_unfold "
    "AFTER INSERT OR DELETE OR UPDATE OF entry_id, option_id, choice_id ON polls_vote "
    "FOR EACH ROW EXECUTE FUNCTION polls_vote_unfold()",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in [*TRIGGERS, CREATE]:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        before = importlib.import_module("bitpoll.polls.migrations.0013_answer_function")
        for statement in [*TRIGGERS_BACK, before.CREATE]:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0013_answer_function"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
