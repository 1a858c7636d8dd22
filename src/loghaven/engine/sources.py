"""Stored ``_source``: zstd with a dictionary trained on the index's own documents.

Log documents of one index repeat their keys and most of their values, but each is only
about a kilobyte: compressed alone, little repeats within it. With a dictionary trained on
the index's first documents, zstd keeps 8.5% of a WAF document's bytes (2.8 µs to compress,
1 to 2 µs to read back), where tantivy's lz4 store blocks kept 13.8% (decision 0019).

An index trains its dictionary once, from the sources of its first :data:`SAMPLE_DOCS`
written documents, and keeps it for life. Each hot split of the index holds a copy in its
folder (:data:`DICTIONARY_FILE`), written before the first document that needs it, so that a
split can be read on its own: after a restart, from a snapshot, after ``loghaven
rebuild-metastore``. A stored source that starts with zstd's magic number is compressed; a
JSON object never starts so, so the sources stored before the dictionary existed stay as
they were, and so do warm splits', which the object store compresses whole (decision 0013).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import zstandard

#: The file in a split's folder that holds its index's dictionary.
DICTIONARY_FILE = "source.zdict"
#: How many written documents' sources the dictionary is trained on.
SAMPLE_DOCS = 1000
#: The dictionary's size: 16 to 112 KiB compress WAF documents alike (8.3 to 8.5%).
DICTIONARY_BYTES = 32 * 1024
#: zstd's level: 6 keeps 0.5% less for three times the CPU.
LEVEL = 3
#: What every zstd frame starts with.
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
log = logging.getLogger("loghaven.engine")


class SourceDictionary:
    """A zstd dictionary and what compresses and decompresses with it. zstd's contexts are
    not thread-safe: each thread gets its own."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._dictionary = zstandard.ZstdCompressionDict(data)
        self._local = threading.local()

    @classmethod
    def train(cls, samples: list[bytes]) -> SourceDictionary | None:
        """A dictionary for documents like ``samples``, or None if zstd cannot make one of
        them (too few or too small: the sources are then stored as they are)."""
        try:
            trained = zstandard.train_dictionary(DICTIONARY_BYTES, samples, level=LEVEL)
        except zstandard.ZstdError as exc:
            log.info("no source dictionary from %d documents: %s", len(samples), exc)
            return None
        return cls(trained.as_bytes())

    @classmethod
    def read(cls, folder: Path) -> SourceDictionary | None:
        """The dictionary in a split's folder, if it has one."""
        try:
            return cls((folder / DICTIONARY_FILE).read_bytes())
        except FileNotFoundError:
            return None

    def write(self, folder: Path) -> None:
        """Put a durable copy in a split's folder (before any document compressed with it
        is committed there)."""
        staged = folder / (DICTIONARY_FILE + ".tmp")
        with open(staged, "wb") as file:
            file.write(self.data)
            file.flush()
            os.fsync(file.fileno())
        staged.replace(folder / DICTIONARY_FILE)
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def compress(self, source: bytes) -> bytes:
        compressor = getattr(self._local, "compressor", None)
        if compressor is None:
            compressor = self._local.compressor = zstandard.ZstdCompressor(
                level=LEVEL, dict_data=self._dictionary, write_checksum=False)
        return compressor.compress(source)

    def decompress(self, stored: bytes) -> bytes:
        decompressor = getattr(self._local, "decompressor", None)
        if decompressor is None:
            decompressor = self._local.decompressor = zstandard.ZstdDecompressor(
                dict_data=self._dictionary)
        return decompressor.decompress(stored)


def is_compressed(stored: bytes) -> bool:
    return stored[:4] == ZSTD_MAGIC


class SourceSamples:
    """The sources an index collects until it has enough to train its dictionary."""

    def __init__(self) -> None:
        self.sources: list[bytes] = []
        #: Set once training failed: an index whose documents zstd cannot learn from stores
        #: them as they are until the next start.
        self.given_up = False

    def add(self, sources: list[bytes]) -> SourceDictionary | None:
        """Take ``sources``; the trained dictionary once there are enough."""
        self.sources.extend(sources[:SAMPLE_DOCS - len(self.sources)])
        if len(self.sources) < SAMPLE_DOCS:
            return None
        samples, self.sources = self.sources, []
        dictionary = SourceDictionary.train(samples)
        self.given_up = dictionary is None
        return dictionary
