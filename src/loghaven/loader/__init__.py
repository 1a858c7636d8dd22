"""``loghaven ingest``: a client that loads files, folders, stdin and S3 prefixes into a
running server over ``_bulk`` (it never touches the server's own state)."""
