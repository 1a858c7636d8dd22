"""Oniguruma expressions (Ruby syntax, what ES's Joni runs) rewritten for the ``regex``
package, which reads most of them as they are.

The differences grok patterns meet: group names hold any character (``NUMBER:bytes:int``,
``[source][ip]``) while Python's are identifiers, so every named group is renamed ``_g<N>``
(``\\k<name>`` follows); ``\\h`` is a hex digit, not horizontal space; the ``m`` flag is
Python's ``s`` (dot matches a newline); and ``^``/``$`` always match at line breaks, which
the caller gets with ``regex.MULTILINE``.
"""

from __future__ import annotations

import re

_HEX = "0-9a-fA-F"
_FLAGS = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")
_NAMED = re.compile(r"\(\?P?<(?![=!])([^>]+)>")
_BACKREF = re.compile(r"\\k<([^>]+)>")


def translate(expression: str) -> tuple[str, list[str]]:
    """The Python expression and, in order, the original name of each group ``_g<N>``."""
    names: list[str] = []
    first: dict[str, str] = {}
    out: list[str] = []
    i, length = 0, len(expression)
    in_class = False
    #: Per open group, how many scoped-flag groups opened inside it must close with it.
    pending = [0]
    while i < length:
        char = expression[i]
        if char == "\\" and i + 1 < length:
            escaped = expression[i + 1]
            backref = _BACKREF.match(expression, i)
            if escaped == "h":
                out.append(_HEX if in_class else f"[{_HEX}]")
            elif escaped == "H" and not in_class:
                out.append(f"[^{_HEX}]")
            elif backref is not None and not in_class and backref.group(1) in first:
                out.append(f"(?P={first[backref.group(1)]})")
                i = backref.end()
                continue
            else:
                out.append(expression[i:i + 2])
            i += 2
            continue
        if in_class:
            if expression.startswith("[:", i) and (end := expression.find(":]", i)) != -1:
                out.append(expression[i:end + 2])  # a POSIX class, [:alnum:]
                i = end + 2
                continue
            in_class = char != "]"
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            start = i + 1
            if expression.startswith("^", start):
                start += 1
            if expression.startswith("]", start):  # a leading ] is literal
                start += 1
            out.append(expression[i:start])
            i = start
            continue
        if char == "(" and expression.startswith("(?", i):
            named = _NAMED.match(expression, i)
            if named is not None:
                group = f"_g{len(names)}"
                names.append(named.group(1))
                first.setdefault(named.group(1), group)
                out.append(f"(?P<{group}>")
                pending.append(0)
                i = named.end()
                continue
            flags = _FLAGS.match(expression, i)
            if flags is not None:
                on = flags.group(1).replace("m", "s")
                off = "" if flags.group(2) is None else "-" + flags.group(2).replace("m", "s")
                # ``(?m)`` holds to the end of its group: a scoped group closed with it
                out.append(f"(?{on}{off}:")
                if flags.group(3) == ")":
                    pending[-1] += 1
                else:
                    pending.append(0)
                i = flags.end()
                continue
        if char == "(":
            pending.append(0)
        elif char == ")" and len(pending) > 1:
            out.append(")" * pending.pop())
        out.append(char)
        i += 1
    out.append(")" * pending[0])
    # Oniguruma takes a repeat of a repeat (SHOREWALL's ``.?*``); Python needs a group
    return "".join(out).replace(".?*", "(?:.?)*"), names
