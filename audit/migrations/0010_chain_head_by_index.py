"""The chain trigger finds the chain's last row through its index, whatever the statistics say.

audit_auditlog_chain() reads the last row (ORDER BY chain_seq DESC LIMIT 1) for every row it
chains, and PL/pgSQL plans that query once per session. Planned while the table's statistics said
it was empty (a new deployment's first hours, a test database after VACUUM), the plan is a
sequential scan and a sort, and the session keeps it: each insert then reads every row before it.
A fresh CI run's bench test COPYs ~12,000 audit rows in one session, and ran for minutes at full
CPU. With enable_seqscan off for the function, the backward index scan on chain_seq is the plan
from the first row on (one index probe a row at any size).
"""

from django.db import migrations

FORWARD = "ALTER FUNCTION audit_auditlog_chain() SET enable_seqscan = off;"
BACKWARD = "ALTER FUNCTION audit_auditlog_chain() RESET enable_seqscan;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0009_chain_lock")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
