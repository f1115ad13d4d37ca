"""Approvals of one member queue on a row only the owner's function may lock, not on an advisory
lock (security audit of 2026-11-26, "Left"): any role may take any advisory lock, also at
session level (pg_advisory_lock, outside any transaction), so the application's role could hold
a member's key and stall every approval of that member. reviews_lock_members() runs as the
owner (SECURITY DEFINER, search_path fixed), keeps a row per member key in reviews_member_lock,
which the application's role may not read or write (audit/roles.py NO_ACCESS), and locks the
keys' rows FOR UPDATE in their sorted order (no deadlock) until the transaction ends.
"""

from django.db import migrations

LOCKS = """
CREATE TABLE reviews_member_lock (member_key text PRIMARY KEY);
REVOKE ALL ON reviews_member_lock FROM PUBLIC;
CREATE FUNCTION reviews_lock_members(keys text[]) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    -- A key seen for the first time: a concurrent insert of it waits for this one to end,
    -- which is the lock already.
    INSERT INTO reviews_member_lock (member_key)
        SELECT DISTINCT k FROM unnest(keys) k ORDER BY k ON CONFLICT DO NOTHING;
    PERFORM 1 FROM reviews_member_lock WHERE member_key = ANY (keys)
        ORDER BY member_key FOR UPDATE;
END;
$$;
"""

DROP = """
DROP FUNCTION reviews_lock_members(text[]);
DROP TABLE reviews_member_lock;
"""


class Migration(migrations.Migration):
    dependencies = [("reviews", "0022_document_parties")]

    operations = [migrations.RunSQL(LOCKS, DROP)]
