from django.db import migrations


class Migration(migrations.Migration):
    """Narrow case rows (bench/README.md, issue 9). A submitted case carries two JSON documents:
    the checklist (~8 kB) went out of line already, but the facts (~1.5 kB) stayed in the row,
    so a row was ~1.8 kB and every scan of open cases (queue, counts, lists) read ~5 times more
    pages than its columns need. With a 256-byte target PostgreSQL also moves the facts out of
    line when a case is submitted (the row's next write that passes the 2 kB threshold), and a
    status change no longer copies them. Older rows narrow when their checklist is next stored
    (bench/README.md says how to narrow them all at once)."""

    dependencies = [("reviews", "0004_bench_indexes")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE reviews_case SET (toast_tuple_target = 256)",
            "ALTER TABLE reviews_case RESET (toast_tuple_target)",
        )
    ]
