"""The flight recorder's store: every version of the objects a rollout is made of, as they
were seen, with the time seen, kept after the cluster has deleted them.

`store.Recording` is the small interface the use cases read and write through;
`sqlite.SQLiteRecording` implements it with the standard library's sqlite3 (one file, WAL
mode, one transaction per batch of changes, a versioned schema with migrations in
`schema`). `paths` finds the default file and creates it owner-only; `limits` reads the
`--retain` and `--max-size` values.

Secrets are never recorded: the store refuses them whatever it is handed.
"""
