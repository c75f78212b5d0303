"""WSGI entry point."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from config.gc_tuning import freeze_after_warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()

# Everything imported so far, and what the first requests add, lives as long as the process: keep
# it out of the cyclic garbage collector's full passes (config/gc_tuning.py). Without this, a
# request allocating a lot (a metrics breakdown over 500 organizations) pays for a pass over the
# whole framework now and then. With `gunicorn --preload` it also keeps forked workers from
# touching (copying) those pages.
freeze_after_warm_up()
