"""Snapshots: repositories (``fs`` under ``path.repo``, ``s3``), incremental snapshots of
indices (metadata and split files, content-addressed so that unchanged files are stored
once), status, delete (never a file another snapshot uses) and restore."""
