"""DRF's authtoken table kept every API token in clear. Each existing token becomes an ApiToken
(its SHA-256 only, expiring in 30 days, so integrations keep working while they move to new
tokens) and the clear-text table is dropped."""

import hashlib
from datetime import timedelta

from django.db import migrations
from django.utils import timezone

MIGRATED_DAYS = 30


def hash_and_drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
        ApiToken = apps.get_model("accounts", "ApiToken")
        expires = timezone.now() + timedelta(days=MIGRATED_DAYS)
        ApiToken.objects.bulk_create(
            ApiToken(
                user_id=user_id,
                name="Token from before hashing",
                prefix=key[:8],
                digest=hashlib.sha256(key.encode()).hexdigest(),
                expires_at=expires,
            )
            for key, user_id in rows
        )
        cursor.execute("DROP TABLE authtoken_token")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_enrolment_links_and_api_tokens")]

    operations = [migrations.RunPython(hash_and_drop, migrations.RunPython.noop)]
