"""Create the application's PostgreSQL database named in DATABASE_URL when it does not exist."""

from __future__ import annotations

import os
import sys

import environ
import psycopg2
from psycopg2 import sql


def main() -> int:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk")
    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or "127.0.0.1",
        port=config.get("PORT") or 5432,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"[database] created {name}", file=sys.stderr)
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
