"""The reviews trigger functions resolve names in a fixed search_path (as audit 0008): a
session's temporary table named like one of ours cannot shadow it inside a trigger."""

from django.db import migrations

FUNCTIONS = (
    "reviews_appeal_decider()",
    "reviews_internalnote_append_only()",
)

FORWARD = "".join(
    f"ALTER FUNCTION {f} SET search_path = pg_catalog, public, pg_temp;\n" for f in FUNCTIONS
)
BACKWARD = "".join(f"ALTER FUNCTION {f} RESET search_path;\n" for f in FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0015_case_escalated_at")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
