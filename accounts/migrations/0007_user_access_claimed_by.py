"""The database's own "user.access" audit row also carries whom the application says it acts for.

The row names the database role that changed a user (accounts 0006), which is the application's
role for every change made through the portal; the person is in the administrators' "user.change"
row beside it. The admin pages now name that person for their transaction (audit.log.claim_actor,
a transaction-local setting, pa.actor), and the trigger writes it as "claimed_by": the
application's word, recorded as such, which the database cannot check. A change made past the
portal leaves it empty.
"""

import importlib

from django.db import migrations

BEFORE = importlib.import_module("accounts.migrations.0006_user_access_audit").FUNCTION
AFTER = BEFORE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(
    "'before', before, 'after', after));",
    "'before', before, 'after', after,\n"
    "            'claimed_by', NULLIF(current_setting('pa.actor', true), '')));",
)
assert AFTER.count("claimed_by") == 1  # the function's text is what 0006 wrote


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_user_access_audit")]

    operations = [
        migrations.RunSQL(AFTER, BEFORE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    ]
