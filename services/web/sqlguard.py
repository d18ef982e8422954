"""Friendlier words for a refused query. This is not a lock: what runs is decided by DuckDB's own
parser and by the analyst's process (services/web/sqlproc.py: read-only file, external access
off, configuration locked). This tokenizer only finds the reason to show when DuckDB's parser
has refused a statement, and the string literals of a query for the access log."""

import re
from dataclasses import dataclass

FIRST = {"SELECT", "WITH", "FROM", "VALUES", "DESCRIBE", "SHOW", "SUMMARIZE", "TABLE",
         "PIVOT", "UNPIVOT"}
FORBIDDEN = {
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER", "COPY",
    "ATTACH", "DETACH", "INSTALL", "LOAD", "PRAGMA", "SET", "RESET", "CALL", "EXPORT", "IMPORT",
    "CHECKPOINT", "FORCE", "VACUUM", "BEGIN", "COMMIT", "ROLLBACK", "ABORT", "TRUNCATE",
    "GRANT", "REVOKE", "USE", "EXECUTE", "PREPARE", "DEALLOCATE", "SECRET", "TRANSACTION",
}
# Table functions that read files or run SQL given as a string.
FILE_FUNCTIONS = re.compile(
    r"^(read_\w+|\w+_scan|scan_\w+|glob|query|query_table|sniff_csv|parquet_\w+|iceberg_\w+|"
    r"delta_\w+|getenv|load_extension|install_extension|\w*_attach|from_\w+)$", re.I)
PATHLIKE = re.compile(r"[/\\]|://|\.(csv|tsv|parquet|json|jsonl|ndjson|txt|db|duckdb|gz|zst|"
                      r"xlsx|sqlite|arrow)$", re.I)


class Refused(ValueError):
    """The query is not one the SQL page runs; the message says why."""


@dataclass(frozen=True)
class Token:
    kind: str  # word, quoted (identifier), string, symbol
    text: str


def tokens(sql: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            i = _comment_end(sql, i)
        elif ch in "'\"":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise Refused("a quote is never closed")
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # doubled quote: an escaped one
                        buf.append(ch)
                        j += 2
                        continue
                    break
                buf.append(sql[j])
                j += 1
            out.append(Token("string" if ch == "'" else "quoted", "".join(buf)))
            i = j + 1
        elif ch.isalnum() or ch == "_":
            j = i
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            out.append(Token("word", sql[i:j]))
            i = j
        else:
            if ch == "$":
                raise Refused("dollar-quoted text is not accepted; use '…' strings")
            out.append(Token("symbol", ch))
            i += 1
    return out


def _comment_end(sql: str, i: int) -> int:
    """Where the /* comment at i ends: DuckDB nests them (/* /* */ */ is one comment)."""
    depth, j = 0, i
    while j < len(sql):
        if sql.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif sql.startswith("*/", j):
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    raise Refused("a comment /* is never closed")


def reason(sql: str) -> str | None:
    """Why check() would refuse `sql`, or None."""
    try:
        check(sql)
    except Refused as e:
        return str(e)
    return None


def check(sql: str) -> str:
    """The statement to run (without a trailing semicolon), or Refused with the reason."""
    toks = tokens(sql)
    while toks and toks[-1] == Token("symbol", ";"):
        toks.pop()
    if not toks:
        raise Refused("the query is empty")
    if any(t == Token("symbol", ";") for t in toks):
        raise Refused("one statement at a time: remove the ';' in the middle")
    first = toks[0].text.upper()
    if toks[0].kind != "word" or first not in FIRST:
        raise Refused(f"only read-only queries ({', '.join(sorted(FIRST))}) run here, "
                      f"not {toks[0].text!r}")
    for k, t in enumerate(toks):
        if t.kind == "word" and t.text.upper() in FORBIDDEN:
            raise Refused(f"{t.text.upper()} is not allowed: this page only reads")
        called = k + 1 < len(toks) and toks[k + 1] == Token("symbol", "(")
        if t.kind in ("word", "quoted") and called and FILE_FUNCTIONS.match(t.text):
            raise Refused(f"{t.text}() reads files or runs other SQL; query the relations")
        if t.kind == "string" and PATHLIKE.search(t.text.strip()):
            raise Refused("file paths and URLs are not allowed; query the relations")
    return sql.strip().rstrip(";").strip()


def literals(sql: str) -> list[str]:
    try:
        return [t.text for t in tokens(sql) if t.kind == "string"]
    except Refused:
        return []
