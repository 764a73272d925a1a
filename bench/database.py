"""The benchmark's own database: never the configured one, created empty each run."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.server import ROOT


def bench_database_url():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql"):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))
    return f"sqlite:///{ROOT / 'bench.sqlite3'}"


def recreate_database(url):
    parts = urlsplit(url)
    if parts.scheme.startswith("mysql"):
        import MySQLdb

        name = parts.path.lstrip("/")
        connection = MySQLdb.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                                     user=parts.username or "root", password=parts.password or "")
        cursor = connection.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        connection.close()
    else:
        path = Path(parts.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def database_exists(url) -> bool:
    """Whether the benchmark database is there already (for --reuse-database)."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("mysql"):
        return Path(parts.path).exists()
    import MySQLdb

    connection = MySQLdb.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                                 user=parts.username or "root", password=parts.password or "")
    cursor = connection.cursor()
    cursor.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", [parts.path.lstrip("/")])
    exists = cursor.fetchone()[0] > 0
    connection.close()
    return exists


def redact(url):
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def analyse(connection):
    """Refresh the query planner's statistics after generating data, as a live database would have them."""
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            for table in ("conversations_conversation", "conversations_message", "tickets_supportticket", "accounts_user"):
                cursor.execute(f"ANALYZE TABLE {table}")
                cursor.fetchall()
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
