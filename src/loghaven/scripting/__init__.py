"""A small, safe evaluator for the Painless subset used in alerting trigger conditions and
ingest ``script`` processors / ``if`` conditions.

User text is tokenized and parsed into an AST, then walked by an interpreter: never
``eval``/``exec``. Cost is bounded: source size, AST nesting and evaluation steps each have a
limit with its own error (see ``limits``).
"""

from loghaven.scripting.errors import ScriptError
from loghaven.scripting.evaluate import DocLookup, DocValues, Function, Script, compile

__all__ = ["DocLookup", "DocValues", "Function", "Script", "ScriptError", "compile"]
