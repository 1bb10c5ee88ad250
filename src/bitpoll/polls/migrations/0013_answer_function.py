"""PostgreSQL: an answer stored by one function call (see bitpoll.polls.sql.answer_in_one_call).

Counting the rate limits, inserting the entry and its votes, storing the folded votes and
bumping the poll's version were five statements in a transaction of their own: with BEGIN and
COMMIT, six round trips, each paid for by the server as much as by Bitpoll. The function does
the same statements in one, as one transaction, with plans that PL/pgSQL prepares once per
session. A limit that is passed raises SQLSTATE BP429 and so rolls everything back, its count
included, as the transaction did. Nothing changes on SQLite, where a statement costs no round
trip.

Tables and columns are named here as they are at this migration, as in 0012.
"""

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
    INSERT INTO polls_entry (poll_id, name, name_key, edit_token_hash, user_id, account_key,
                             created, updated, email, language, folded)
    VALUES (p_poll, p_name, p_name_key, p_edit_token_hash, p_user, p_account_key,
            p_now, p_now, p_email, p_language, '')
    RETURNING id INTO new_id;
    INSERT INTO polls_vote (entry_id, option_id, choice_id, comment)
    SELECT new_id, v.option_id, v.choice_id, v.comment
    FROM unnest(p_options, p_choices, p_comments) AS v(option_id, choice_id, comment);
    -- After the votes, whose triggers empty the string (migration 0012).
    IF p_folded <> '' THEN
        UPDATE polls_entry SET folded = p_folded WHERE id = new_id;
    END IF;
    UPDATE polls_poll SET version = version + 1, updated = p_now WHERE id = p_poll;
    RETURN new_id;
END
$$
"""
DROP = (
    "DROP FUNCTION IF EXISTS bitpoll_answer(bigint, text, text, text, integer, bigint, "
    "timestamptz, text, text, text, bigint[], bigint[], text[], text[], text[], bigint[], "
    "bigint[], bigint[])"
)


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0012_entry_folded"),
        ("ratelimit", "0001_counters"),
    ]

    operations = [migrations.RunPython(create_function, drop_function)]
