"""Usernames that read the same are one: User.username_key (accounts.spelling.username_key) is
unique, so "Phil", or "phil" spelled with a Cyrillic er (U+0440), cannot sit beside "phil" in
the audit log.

Existing accounts whose usernames read the same are named and the migration stops: rename one of
them (Django admin, Users) and migrate again.
"""

from collections import defaultdict
from typing import Any

from django.db import migrations, models


def fill_keys(apps: Any, schema_editor: Any) -> None:
    from accounts.spelling import username_key

    User = apps.get_model("accounts", "User")
    users = list(User.objects.only("pk", "username"))
    readers: defaultdict[str, list[str]] = defaultdict(list)
    for user in users:
        user.username_key = username_key(user.username)
        readers[user.username_key].append(user.username)
    if alike := [sorted(names) for names in readers.values() if len(names) > 1]:
        shown = "; ".join(", ".join(names) for names in alike)
        raise RuntimeError(f"These usernames read the same; rename all but one of each: {shown}")
    User.objects.bulk_update(users, ["username_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_user_access_claimed_by")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(default="", editable=False, max_length=150),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=150, unique=True),
        ),
    ]
