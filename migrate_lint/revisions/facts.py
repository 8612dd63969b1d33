"""FileFacts: everything one file's bytes say on their own (header, operations, directives)."""

from __future__ import annotations

import ast
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from migrate_lint.finding import Hit, InputError
from migrate_lint.revisions.directives import Directive, parse_directives
from migrate_lint.revisions.extract import BLOCKS, extract_both
from migrate_lint.revisions.graph import Header, HeaderError, read_header
from migrate_lint.revisions.halves import in_two
from migrate_lint.revisions.migration import Call, DataUpdate, Operation, Ref, Revision, Unknown


@dataclass(frozen=True)
class FileFacts:
    """What one revision file says on its own, read from its syntax tree."""

    header: Header
    syntax_error: Hit | None = None
    operations: tuple[Operation, ...] = ()
    updates: tuple[DataUpdate, ...] = ()
    directives: tuple[Directive, ...] = ()
    imports: tuple[tuple[str, int, tuple[str, ...]], ...] = ()  # (module, line, what it uses of it)
    downgrade: tuple[Operation, ...] = ()  # the op.* calls of downgrade()

    @property
    def is_revision_file(self) -> bool:
        """A revision, or a file that may be one but cannot be read (syntax or header problems)."""
        return bool(self.header.revision or self.syntax_error or self.header.problems)


def decode(path: Path, data: bytes) -> str | InputError:
    """The text as Python reads it: UTF-8, or the encoding a PEP 263 `# coding:` line declares."""
    if b"coding" not in data[:_two_lines(data)] and not data.startswith(b"\xef\xbb\xbf"):
        try:  # what detect_encoding() says of a file without cookie or BOM, at a tenth of the cost
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # told as detect_encoding() tells it
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown encoding, or a declaration that contradicts a BOM
        return InputError(path, exc.lineno, f"cannot decode: {exc.msg}")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        return InputError(path, data[: exc.start].count(b"\n") + 1,
                          f"cannot decode as {name} ({exc.reason} at byte {exc.start})")


def _two_lines(data: bytes) -> int:
    """Where the first two lines end: a PEP 263 cookie is on one of them."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return len(data) if second < 0 else second


def parse(source: str, filename: str = "<revision>") -> ast.Module:
    """ast.parse without the warnings (invalid escapes, ...) Python prints about the user's code."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=filename)


# What Python 3 says of syntax only Python 2 accepts, and what that syntax is: a history whose
# revisions use it runs on Python 2 (Alembic on Python 3 could not load the folder), so the file is
# not broken where it runs.
PYTHON2_ONLY = {"Missing parentheses in call to 'print'": "a print statement",
                "Missing parentheses in call to 'exec'": "an exec statement",
                "multiple exception types must be parenthesized": "an `except E, e:` clause",
                "leading zeros in decimal integer literals": "an octal literal with a leading 0"}


# Python 2 syntax that Python 3 rejects only as "invalid syntax": told by the rejected line itself
PYTHON2_LINES = ((re.compile(r"(?<![\w\"'])[uU][rR][\"']"), "a ur'' string literal"),
                 (re.compile(r"(?<![\w.])\d+[lL]\b"), "a long integer literal (10L)"),
                 (re.compile(r"`"), "a backquoted repr"),
                 (re.compile(r"<>"), "the <> operator"),
                 (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "a `raise E, value` statement"))


_QUOTED = re.compile(r"""(["'])(?:\\.|(?!\1).)*\1""")


def _python2_construct(exc: SyntaxError) -> str | None:
    said = next((what for said, what in PYTHON2_ONLY.items() if exc.msg.startswith(said)), None)
    if said or exc.msg not in ("invalid syntax", "invalid decimal literal"):
        return said
    line = exc.text or ""
    code = _QUOTED.sub('""', line)  # a backquote or <> inside a string is no Python 2 syntax
    return next((what for pattern, what in PYTHON2_LINES
                 if pattern.search(line if what.startswith("a ur") else code)), None)


def analyse(path: Path, source: str) -> FileFacts:
    try:
        tree = parse(source, str(path))
    except SyntaxError as exc:
        line = exc.lineno or 1
        python = f"{sys.version_info[0]}.{sys.version_info[1]}"
        fields = {"error": f"{exc.msg} (line {line})", "python": python}
        construct = _python2_construct(exc)
        if construct:
            fields.update(variant="python2", construct=f"{construct} at line {line}")
        return FileFacts(header_by_lines(source, path), Hit(line, path.name, fields, exc.offset or 1))
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileFacts(Header(None), Hit(1, path.name, {"error": str(exc) or type(exc).__name__}))
    header = read_header(tree, path)
    if header.revision is None:
        return FileFacts(header)
    operations, updates, downgrade = extract_both(tree, source)
    return FileFacts(header, None, operations, updates, tuple(parse_directives(source)), imports_of(tree),
                     downgrade)


def header_of(path: Path, source: str) -> Header:
    """analyse(path, source).header at a third of the cost: what the graph needs of a file that is
    not checked itself (--base reads every revision, but checks only the changed ones)."""
    try:
        tree = parse(source, str(path))
    except SyntaxError:
        return header_by_lines(source, path)  # as analyse() has it
    except (ValueError, RecursionError, MemoryError):
        return Header(None)
    return read_header(tree, path)


_HEADER_LINE = re.compile(r"^(?:revision|down_revision|branch_labels|depends_on)\b[^=\n]*=[^\n]*$", re.M)


def header_by_lines(source: str, path: Path) -> Header:
    """The header of a file that does not parse here, read from its own top-level header lines
    alone: a revision written for a newer Python (PEP 701 f-strings, 3.12) still declares its
    place in the graph, which the graph rules must not lose (lear: a phantom head and a missing
    parent). A file whose header lines do not parse either declares no revision."""
    lines = _HEADER_LINE.findall(source)
    if not any(line.startswith("down_revision") for line in lines):
        return Header(None)  # no place in the history to keep
    try:
        return read_header(parse("\n".join(lines), str(path)), path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Header(None)


def file_facts(path: Path, source: str, complete: bool) -> FileFacts | Header | InputError:
    """analyse() when complete, else only header_of(). A file whose nesting exhausts the analysis's
    recursion (valid Python that Python itself loads) is an input error of its own, so that the
    other files are still checked."""
    try:
        return analyse(path, source) if complete else header_of(path, source)
    except RecursionError:
        return InputError(path, None, "too deeply nested to analyse (the other files were checked)")


SHARE = 0.52  # this process's part of a split analysis (the child also pickles what it found)


def analyse_many(files: list[tuple[Path, str, bool]], spare_core: bool = True
                 ) -> list[FileFacts | Header | InputError]:
    """file_facts() of each (path, source, complete). When there is a spare core a forked child
    takes about half of the files (halves.in_two)."""
    return in_two(files, lambda file: file_facts(*file), spare_core, share=SHARE)


# What every revision imports and no project is: the paths read through them are never asked for.
NOT_THE_PROJECT = frozenset(sys.stdlib_module_names) | {"alembic", "sqlalchemy"}


def _used_paths(tree: ast.Module) -> dict[str, set[str]]:
    """For each name, the longest dotted paths the file reads through it (`prefect.server.x.UUID`)."""
    paths: dict[str, set[str]] = {}
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            parts, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                inner.add(id(value))
                parts.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name):
                paths.setdefault(value.id, set()).add(".".join([value.id, *reversed(parts)]))
    return paths


TYPE_ONLY = "~"  # marks a use of an import that the file makes only as a column type
_TYPE_CALLS = frozenset({"Column", "mapped_column", "ARRAY"})
_TYPE_KEYWORDS = frozenset({"type_", "existing_type"})


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def _type_only(tree: ast.Module) -> set[str]:
    """Names and dotted paths the file reads only as a column's type (`sa.Column("meta",
    models.JsonBlob())`, `type_=TZDateTime()`): a type of the project, however its module is named."""
    as_type: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        values = [*(node.args if name in _TYPE_CALLS else ()),
                  *(k.value for k in node.keywords if k.arg in _TYPE_KEYWORDS)]
        for value in values:
            head = value.func if isinstance(value, ast.Call) else value
            if isinstance(head, ast.Name | ast.Attribute):
                as_type.add(id(head))
    if not as_type:
        return set()
    seen: dict[str, bool] = {}  # each path the file reads (the outermost of a dotted chain): only as a type?
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute) and id(node) not in inner \
                and (path := _dotted(node)) is not None:
            seen[path] = seen.get(path, True) and id(node) in as_type
    return {path for path, only in seen.items() if only}


def _bare_names(tree: ast.Module) -> set[str]:
    """Names the file reads as they are, not only through an attribute (`User`, `f(db)`)."""
    through = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in through}


def _from_uses(names: list[ast.alias], used: dict[str, set[str]], bare: set[str],
               typed: set[str]) -> list[str]:
    """What a file uses of `from module import a, b`: each name it reads as it is, and the dotted
    paths it reads through the others (`db.Integer`, `db.session.execute`); TYPE_ONLY marks those
    it reads only as a column's type."""
    uses: list[str] = []
    for alias in names:
        local = alias.asname or alias.name
        paths = sorted((TYPE_ONLY if p in typed else "") + alias.name + p[len(local):]
                       for p in used.get(local, ()))[:20]
        uses += [(TYPE_ONLY if local in typed else "") + alias.name] if local in bare or not paths else []
        uses += paths
    return uses


HOLDERS = frozenset({*BLOCKS, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})  # statements with a body


def imports_of(tree: ast.Module) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """Every import in the file, at any depth, with what the file uses of it: the names it imports
    from it, or the dotted paths it reads through a plain `import pkg`."""
    found: list[tuple[str, int, tuple[str, ...]]] = []
    used: dict[str, set[str]] | None = None
    bare: set[str] = set()
    typed: set[str] = set()
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in NOT_THE_PROJECT:  # no rule reads their paths: no walk
                    found.append((alias.name, node.lineno, ()))
                    continue
                if used is None:
                    used, bare, typed = _used_paths(tree), _bare_names(tree), _type_only(tree)
                local = alias.asname or alias.name.split(".")[0]
                paths = sorted((TYPE_ONLY if p in typed else "")
                               + (alias.name + p[len(local):] if alias.asname else p)
                               for p in used.get(local, ()))[:20]
                found.append((alias.name, node.lineno, tuple(paths)))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] in NOT_THE_PROJECT:
                found.append((node.module, node.lineno, tuple(a.name for a in node.names)))
                continue
            if used is None:
                used, bare, typed = _used_paths(tree), _bare_names(tree), _type_only(tree)
            found.append((node.module, node.lineno, tuple(_from_uses(node.names, used, bare, typed))))
        if type(node) not in HOLDERS:  # a parsed tree's exact classes (as in extract.py)
            continue  # a simple statement holds no other
        for attr in ("body", "orelse", "finalbody"):
            stack.extend(reversed(getattr(node, attr, None) or ()))
        for block in getattr(node, "handlers", ()) or getattr(node, "cases", ()):
            stack.extend(reversed(block.body))
    return tuple(sorted(found, key=lambda item: item[1]))  # source order (sort is stable)


CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    FileFacts, Header, HeaderError, Revision, Hit, Operation, Call, Ref, Unknown, DataUpdate, Directive)}


def code_fingerprint(source: str) -> str:
    """What a revision's code does, without comments, formatting or docstrings (for edit checks)."""
    import hashlib

    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return "text:" + hashlib.sha256(" ".join(source.split()).encode()).hexdigest()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return "ast:" + hashlib.sha256(ast.dump(tree).encode()).hexdigest()
