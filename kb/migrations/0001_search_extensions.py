from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

# unaccent() is only STABLE (its dictionary could change), so a generated column cannot call it;
# this IMMUTABLE wrapper pins the dictionary, the usual way to unaccent inside an index.
KB_UNACCENT = """
CREATE OR REPLACE FUNCTION kb_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
"""


class Migration(migrations.Migration):
    dependencies = []

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunSQL(KB_UNACCENT, "DROP FUNCTION IF EXISTS kb_unaccent(text);"),
    ]
