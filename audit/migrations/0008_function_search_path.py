"""The audit log's trigger functions resolve names in a fixed search_path.

Without it a session's own temporary table (the temp schema is searched first) could shadow
audit_auditlog inside audit_auditlog_chain() and hand a new row a forged chain position and
previous hash. pg_temp is named last, so it can never shadow a real table or function.
"""

from django.db import migrations

FUNCTIONS = (
    "audit_auditlog_row_hash(audit_auditlog)",
    "audit_auditlog_chain()",
    "audit_auditlog_no_truncate()",
    "audit_auditlog_append_only()",
)

FORWARD = "".join(
    f"ALTER FUNCTION {f} SET search_path = pg_catalog, public, pg_temp;\n" for f in FUNCTIONS
)
BACKWARD = "".join(f"ALTER FUNCTION {f} RESET search_path;\n" for f in FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_policy_setting_moved")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
