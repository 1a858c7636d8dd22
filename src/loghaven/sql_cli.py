"""``loghaven sql``: SQL and PPL against a running server, over ``_plugins/_sql`` and
``_plugins/_ppl`` as OpenSearch's own SQL CLI speaks them.

One statement per ``-e`` (several when separated by ``;``) or an interactive loop: a statement
ends at a ``;`` outside quotes, as in opensearch-sql-cli's multi-line mode, so it may span
lines; ``exit`` or ``quit`` (or Ctrl-D) leaves, Ctrl-C drops the statement being typed or
stops the one running. SQL rows (table and json output) come in pages of ``--fetch-size``
through the plugin's cursor, so an answer larger than ``plugins.query.size_limit`` still prints
every row; a page stream cut short closes its cursor on the server rather than leave it to
expire. The plugin pages neither csv nor PPL: those are one answer, bounded by that limit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
import orjson

from loghaven.loader.client import Credentials, http_client

#: Exit codes: a statement failed; the server cannot be used (unreachable, 401).
EXIT_FAILED = 1
EXIT_CANNOT_CONNECT = 2
EXIT_INTERRUPTED = 130
HISTORY_ENV = "LOGHAVEN_SQL_HISTORY"
DEFAULT_HISTORY = Path("~/.loghaven_sql_history")
#: Statements kept in the history file (readline trims older ones).
HISTORY_LENGTH = 1000
QUIT = {"exit", "quit", "\\q"}


@dataclass
class Options:
    """What ``loghaven sql`` was asked to do (see ``cli._add_sql_arguments``)."""

    url: str
    credentials: Credentials = field(default_factory=Credentials)
    ca_cert: str | None = None
    insecure: bool = False
    ppl: bool = False
    format: str = "table"
    execute: str | None = None
    fetch_size: int = 200
    history: Path | None = None
    timeout: float = 300.0


class QueryFailed(Exception):
    """A statement the server refused or could not run, with the plugin's error body."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class CannotConnect(QueryFailed):
    """The server cannot be used at all: unreachable, no SQL plugin, credentials refused."""


# --- statements ---------------------------------------------------------------------------

def split_statements(text: str) -> tuple[list[str], str]:
    """The complete statements of ``text`` (each ended by a ``;`` outside quotes, without
    it) and the unfinished rest. Quotes are ``'...'``, ``"..."`` and backticks, with a
    doubled quote or a backslash escaping one inside."""
    statements: list[str] = []
    start, quote, i = 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\" and quote != "`":
                i += 1
            elif char == quote:
                if text[i + 1:i + 2] == quote:
                    i += 1
                else:
                    quote = ""
        elif char in "'\"`":
            quote = char
        elif char == ";":
            statement = text[start:i].strip()
            if statement:
                statements.append(statement)
            start = i + 1
        i += 1
    return statements, text[start:]


# --- the server ---------------------------------------------------------------------------

@dataclass
class Page:
    """One page of a jdbc answer: the schema comes with the first page only."""

    schema: list[dict[str, Any]]
    rows: list[list[Any]]
    total: int | None
    cursor: str | None


class SqlClient:
    """The plugin's endpoints: a statement, its next pages, closing a cursor."""

    def __init__(self, options: Options) -> None:
        self.url = options.url.rstrip("/")
        self.http = http_client(options.url, options.credentials, ca_cert=options.ca_cert,
                                insecure=options.insecure, timeout=options.timeout)
        self.endpoint = "/_plugins/_ppl" if options.ppl else "/_plugins/_sql"

    def close(self) -> None:
        self.http.close()

    def _post(self, path: str, body: dict[str, Any], fmt: str = "jdbc") -> httpx.Response:
        try:
            response = self.http.post(path, params={"format": fmt}, json=body)
        except httpx.HTTPError as error:
            raise CannotConnect(
                f"cannot reach the server at {self.url}: {error or type(error).__name__}. Is "
                f"it running (`loghaven serve`)? Give its address with --url; for https, "
                f"--ca-cert FILE trusts its CA") from error
        if response.status_code >= 400:
            raise _failure(self.url, path, response)
        return response

    def pages(self, statement: str, fetch_size: int) -> Iterator[Page]:
        """Every page of ``statement``'s answer, following the cursor; a consumer that stops
        early (or an interrupt) closes the cursor."""
        body: dict[str, Any] = {"query": statement}
        if fetch_size:
            body["fetch_size"] = fetch_size
        answer = _json(self._post(self.endpoint, body))
        cursor = answer.get("cursor")
        try:
            yield Page(answer.get("schema") or [], answer.get("datarows") or [],
                       answer.get("total"), cursor)
            while cursor:
                answer = _json(self._post("/_plugins/_sql", {"cursor": cursor}))
                cursor = answer.get("cursor")
                yield Page([], answer.get("datarows") or [], None, cursor)
        finally:
            if cursor:  # stopped before the last page
                self.close_cursor(cursor)

    def close_cursor(self, cursor: str) -> None:
        """Free the server's cursor now rather than when it expires; a failure to reach the
        server here changes nothing for the user, who already has an error or an interrupt."""
        with contextlib.suppress(httpx.HTTPError):
            self.http.post("/_plugins/_sql/close", json={"cursor": cursor})

    def text(self, statement: str, fmt: str) -> str:
        """The server's own rendering of the whole answer (``csv``, ``raw``)."""
        return self._post(self.endpoint, {"query": statement}, fmt).text


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = orjson.loads(response.content)
    except orjson.JSONDecodeError as error:
        raise QueryFailed(f"the server answered {response.status_code} with something other "
                          f"than JSON: is --url a Loghaven server?") from error
    if not isinstance(answer, dict):
        raise QueryFailed("the server answered JSON that is not an SQL plugin answer")
    return answer


def _failure(url: str, path: str, response: httpx.Response) -> QueryFailed:
    """The error to show for an error answer: the plugin's reason and details (which say
    what to do next), or for the answers that make any statement fail, what to change."""
    status = response.status_code
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if status == 401:
        return CannotConnect(
            f"the server at {url} refused the credentials (401): give --user NAME:PASSWORD "
            f"(or LOGHAVEN_USER and LOGHAVEN_PASSWORD) or --api-key", status)
    if isinstance(error, dict) and "details" in error:
        text = f"{error.get('type')}: {error.get('reason')}\n{error.get('details')}"
        return QueryFailed(text, status)
    if status in (404, 405) or (status == 400 and "no handler found" in response.text):
        return CannotConnect(
            f"the server at {url} has no SQL plugin endpoint {path} ({status}): is --url a "
            f"Loghaven (or OpenSearch with the SQL plugin) server?", status)
    if isinstance(error, dict):
        text = f"{error.get('type')}: {error.get('reason')}"
        if status == 403:
            text += " (ask for a role that may read the index, or query another one)"
        return QueryFailed(text, status)
    return QueryFailed(f"{path} answered {status}: {response.text[:300]}", status)


# --- output -------------------------------------------------------------------------------

def cell(value: Any) -> str:
    """A value as a table cell: ``null`` for a missing value, JSON for objects and arrays."""
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def headers(schema: list[dict[str, Any]]) -> list[str]:
    """Column titles as the plugin's clients show them: the alias, else the name."""
    return [column.get("alias") or column["name"] for column in schema]


def render_table(schema: list[dict[str, Any]], rows: list[list[Any]], out: TextIO) -> None:
    """Rows as a rich table, as wide as its content when ``out`` is not a terminal (a pipe
    or a file gets whole values, never ellipses)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, highlight=False)
    for title in headers(schema):
        table.add_column(Text(title), overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(value)) for value in row))
    console = Console(file=out, highlight=False, markup=False)
    if not console.is_terminal:
        console = Console(file=out, highlight=False, markup=False, color_system=None,
                          width=max(console.measure(table).maximum, 20))
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


def run_statement(client: SqlClient, statement: str, options: Options, out: TextIO) -> None:
    """Run one statement and print its whole answer in ``options.format``."""
    if options.format == "csv":
        text = client.text(statement, "csv")
        out.write(text if text.endswith("\n") else text + "\n")
        return
    schema: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    total: int | None = None
    with contextlib.closing(client.pages(statement, options.fetch_size)) as pages:
        for page in pages:  # an interrupt here closes the generator, and so the cursor
            if page.schema:
                schema, total = page.schema, page.total
            rows.extend(page.rows)
    if options.format == "json":
        document = {"schema": schema, "datarows": rows, "total": total, "size": len(rows),
                    "status": 200}
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render_table(schema, rows, out)


def report(error: QueryFailed) -> None:
    print(f"error: {error}", file=sys.stderr)


# --- the loop -----------------------------------------------------------------------------

def history_path(option: Path | None) -> Path:
    return (option or Path(os.environ.get(HISTORY_ENV) or DEFAULT_HISTORY)).expanduser()


class History:
    """Statements typed in the loop, one entry each (a multi-line one as typed), kept in a
    file through readline so that arrow-up recalls them in the next session."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import readline
        except ImportError:  # no GNU readline/libedit (Windows): no history, the loop works
            self.readline = None
            return
        self.readline = readline
        readline.set_auto_history(False)
        readline.set_history_length(HISTORY_LENGTH)
        if path.exists():
            readline.read_history_file(str(path))

    def add(self, statement: str) -> None:
        if self.readline is None:
            return
        self.readline.add_history(statement)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.readline.write_history_file(str(self.path))
        except OSError as error:  # a read-only home: say it once, keep going
            print(f"warning: cannot write the history file {self.path}: {error}",
                  file=sys.stderr)
            self.readline = None


def repl(client: SqlClient, options: Options, interactive: bool) -> int:
    """Read statements until ``exit``/EOF; 1 when a piped script had a failing statement."""
    history = History(history_path(options.history))
    language = "ppl" if options.ppl else "sql"
    prompt, more = (f"{language}> ", " " * (len(language) - 1) + "-> ") if interactive \
        else ("", "")
    if interactive:
        print(f"loghaven {language} on {client.url}: end statements with ';', exit or Ctrl-D "
              f"to leave, Ctrl-C to cancel", file=sys.stderr)
    failed = False
    pending = ""
    while True:
        try:
            line = input(more if pending else prompt)
        except KeyboardInterrupt:
            if interactive:
                print("^C", file=sys.stderr)
            pending = ""
            continue
        except EOFError:
            if interactive:
                print(file=sys.stderr)
            elif pending and not _quits(pending):  # a script's last statement, without ';'
                failed |= not _run_all(client, [pending.strip()], options, history, interactive)
            break
        statements, rest = split_statements(f"{pending}{line}\n")
        pending = rest if rest.strip() else ""
        quit_at = next((i for i, s in enumerate(statements) if _quits(s)), None)
        leaving = quit_at is not None or _quits(pending)
        if statements[:quit_at]:
            failed |= not _run_all(client, statements[:quit_at], options, history,
                                  interactive)
        if leaving:
            break
    return EXIT_FAILED if failed and not interactive else 0


def _quits(text: str) -> bool:
    return text.strip().rstrip(";").strip().lower() in QUIT


def _run_all(client: SqlClient, statements: list[str], options: Options,
             history: History, interactive: bool) -> bool:
    """Run statements one after the other; False when one failed or was interrupted. A
    server that cannot be used ends a script (:class:`CannotConnect` goes up), not a
    session at the terminal, where it may come back."""
    ok = True
    for statement in statements:
        history.add(statement + ";")
        try:
            run_statement(client, statement, options, sys.stdout)
        except QueryFailed as error:
            if isinstance(error, CannotConnect) and not interactive:
                raise
            report(error)
            ok = False
        except KeyboardInterrupt:
            print("cancelled (its cursor is closed)", file=sys.stderr)
            return False
    return ok


def run(options: Options) -> int:
    """``loghaven sql``: the exit code (0, or :data:`EXIT_FAILED` when a ``-e`` statement or
    one of a piped script failed, :data:`EXIT_CANNOT_CONNECT` when the server cannot be
    used)."""
    client = SqlClient(options)
    try:
        if options.execute is not None:
            statements, rest = split_statements(options.execute)
            if rest.strip():
                statements.append(rest.strip())
            if not statements:
                print("error: -e got no statement", file=sys.stderr)
                return EXIT_FAILED
            for statement in statements:
                run_statement(client, statement, options, sys.stdout)
            return 0
        return repl(client, options, interactive=sys.stdin.isatty())
    except CannotConnect as error:
        report(error)
        return EXIT_CANNOT_CONNECT
    except QueryFailed as error:
        report(error)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `loghaven sql -e ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        client.close()

