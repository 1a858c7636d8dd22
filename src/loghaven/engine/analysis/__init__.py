"""Text analysis: ES analyzers, normalizers, tokenizers, token and char filters.

tantivy's own tokenizers cannot be composed with char filters, n-grams, synonyms or path
hierarchies, and the Python bindings take no Python tokenizer. So a text field with any
analyzer other than the default ``standard`` is analysed here, in Python, and handed to
tantivy *pre-tokenized* (terms, positions, offsets): what is indexed is exactly what this
package produced, and queries on the field analyse their text with the same objects
(the field's search analyzer). The default ``standard`` analyzer stays on the engine's fast
path (engine/words.py). See docs/decisions and /docs for what is supported.
"""

from loghaven.engine.analysis.registry import (
    BUILTIN,
    Analyzer,
    IndexAnalysis,
    Normalizer,
)
from loghaven.engine.analysis.tokens import Token

__all__ = ["BUILTIN", "Analyzer", "IndexAnalysis", "Normalizer", "Token"]
