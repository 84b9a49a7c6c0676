"""The recording's schema, versioned: `MIGRATIONS[n]` takes a file from version n to n + 1.

The version is SQLite's `user_version`; `application_id` marks the file as a recording, so
another program's SQLite database is refused rather than written into. A file from a newer
release (a version above `LATEST`) is refused as well: nothing in it is changed.

Version 1: bodies (zlib-compressed JSON, addressed by the SHA-256 of their content),
versions (one row per object version seen, or per deletion), latest (the last version of
each object, for deduplication and for telling what a relist no longer holds).
Version 2: sessions (when a recorder ran, on what, and how it ended), an index on the
time seen (for replay and retention), and `base`: a body may be compressed with the first
recorded version of its object as zlib's preset dictionary (most of an object's next
version is the same text), which makes a version about a fifth of its plain compressed size.
"""

from __future__ import annotations

APPLICATION_ID = 0x6B525059  # "kRPY"

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE bodies (
        hash BLOB PRIMARY KEY,
        body BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL,
        resource_version TEXT NOT NULL,
        hash BLOB REFERENCES bodies (hash),
        seen REAL NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX versions_object ON versions (namespace, kind, name, uid, id);
    CREATE TABLE latest (
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL,
        resource_version TEXT NOT NULL,
        hash BLOB,
        deleted INTEGER NOT NULL,
        PRIMARY KEY (kind, namespace, name, uid)
    ) WITHOUT ROWID;
    """,
    # 1 -> 2
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started REAL NOT NULL,
        stopped REAL,
        scope TEXT NOT NULL,
        ended TEXT
    );
    CREATE INDEX versions_seen ON versions (seen);
    ALTER TABLE bodies ADD COLUMN base BLOB;
    ALTER TABLE latest ADD COLUMN base BLOB;
    """,
)

LATEST = len(MIGRATIONS)
