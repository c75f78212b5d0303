from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION tickets_event_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tickets_ticketevent is append-only: rows cannot be updated';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tickets_event_append_only
    BEFORE UPDATE ON tickets_ticketevent
    FOR EACH ROW EXECUTE FUNCTION tickets_event_refuse_update();
"""

REVERSE = """
DROP TRIGGER IF EXISTS tickets_event_append_only ON tickets_ticketevent;
DROP FUNCTION IF EXISTS tickets_event_refuse_update();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, REVERSE)]
