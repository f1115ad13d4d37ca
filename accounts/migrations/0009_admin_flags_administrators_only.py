"""Staff and superuser status go with the administrator role only: on another role they opened
the Django admin to clinic staff with a password alone (no second factor), or to an auditor, who
only reads, to write there.

A database with such a user stops here with PostgreSQL's error naming the constraint: give the
user the administrator role, or take the flags off (Django admin, Users), and migrate again.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_username_key")]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(role="admin") | models.Q(is_staff=False, is_superuser=False),
                name="user_admin_flags_administrators_only",
                violation_error_message=(
                    "Only administrators may use the Django admin: give this user the role "
                    "Administrator, or leave staff and superuser status off."
                ),
            ),
        ),
    ]
