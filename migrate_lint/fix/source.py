"""A revision file as a libcst tree: its `op.*` call statements with their lines, and call helpers."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

NONE = object()
# A line as `ast` counts them (\n, \r\n or \r ends one; str.splitlines also splits at \f and others).
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # what literal() returns for the name None
AUTOCOMMIT = "<autocommit>"  # marks an autocommit block on the stack of enclosing with blocks


@dataclass
class CallSite:
    """One statement that is a single `op.<name>(...)` or `batch_op.<name>(...)` call."""

    statement: cst.SimpleStatementLine  # the node of the original tree
    call: cst.Call
    receiver: str
    name: str
    function: str  # the top-level function it sits in
    batch_table: str | None  # the table of the enclosing batch_alter_table block, if any
    in_autocommit: bool  # inside `with op.get_context().autocommit_block():` already
    line: int
    end_line: int
    column: int  # 0-based indentation of the statement


@dataclass
class Source:
    text: str
    module: cst.Module = field(init=False)
    sites: list[CallSite] = field(init=False, default_factory=list)
    functions: dict[str, cst.FunctionDef] = field(init=False, default_factory=dict)
    parents: set[int] = field(init=False, default_factory=set)  # compound statements holding a site

    head: str = field(init=False, default="")  # the text before `module`: docstring, imports, identifiers

    def __post_init__(self) -> None:
        # Positions come from `ast`, walked statement by statement beside the libcst tree: a full
        # visit of the tree with libcst's position metadata costs several times the parse.
        # libcst parses only from the first top-level function on (the fixes edit only functions):
        # the docstring, imports and identifiers above are a third of a revision's parse, and `head`.
        tree = ast.parse(self.text)
        functions = (i for i, node in enumerate(tree.body)
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))
        first = next(functions, len(tree.body))
        start = len(self.text)
        if first < len(tree.body):
            at = tree.body[first]
            line = min([at.lineno, *(d.lineno for d in getattr(at, "decorator_list", []))])
            start = sum(len(text) for text in LINE.findall(self.text)[:line - 1])
        self.head = self.text[:start]
        self.module = cst.parse_module(self.text[start:])
        for node, twin in _pairs(self.module.body, tree.body[first:]):
            if isinstance(node, cst.FunctionDef) and isinstance(twin, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name.value] = node
                self._walk(node, twin, node.name.value, [])

    def _walk(self, node: cst.BaseCompoundStatement, twin: ast.stmt, function: str,
              within: list[str | None]) -> bool:
        """Collect the call sites under a compound statement; whether it holds any."""
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        found = False
        for child, other in _pairs(body, getattr(twin, "body", [])):
            if isinstance(child, cst.SimpleStatementLine):
                found |= self._site(child, other, function, within)
            elif isinstance(child, cst.With | cst.If | cst.For | cst.While | cst.Try | cst.FunctionDef):
                found |= self._walk(child, other, function, [*within, _with_kind(child)])
        if found:
            self.parents.add(id(node))
        return found

    def _site(self, node: cst.SimpleStatementLine, twin: ast.stmt, function: str,
              within: list[str | None]) -> bool:
        if len(node.body) != 1 or not isinstance(node.body[0], cst.Expr):
            return False
        call = node.body[0].value
        receiver, name = _attribute(call.func) if isinstance(call, cst.Call) else (None, None)
        if receiver is None or name is None or not isinstance(call, cst.Call):
            return False
        batch = next((t for t in reversed(within) if t and t is not AUTOCOMMIT), None)
        self.sites.append(CallSite(node, call, receiver, name, function, batch, AUTOCOMMIT in within,
                                   twin.lineno, twin.end_lineno or twin.lineno, twin.col_offset))
        return True

    def site_at(self, line: int, names: tuple[str, ...], function: str | None = None) -> CallSite | None:
        """The call statement spanning `line` whose call is one of `names`."""
        for site in self.sites:
            if site.line <= line <= site.end_line and site.name in names and \
                    (function is None or site.function == function):
                return site
        return None

    def calls(self, function: str, names: tuple[str, ...]) -> list[CallSite]:
        return [s for s in self.sites if s.function == function and s.name in names]

    @property
    def quote(self) -> str:
        """The quote the file writes strings with, for the strings a fix adds."""
        return "'" if self.text.count("'") > self.text.count('"') else '"'


def _pairs(nodes: Sequence[cst.BaseStatement], twins: list[ast.stmt]
           ) -> Iterator[tuple[cst.BaseStatement, ast.stmt]]:
    """libcst statements with their `ast` twins; a line of several statements (a; b) has no one twin."""
    at = 0
    for node in nodes:
        count = len(node.body) if isinstance(node, cst.SimpleStatementLine) else 1
        if at >= len(twins):
            return
        if count == 1:
            yield node, twins[at]
        at += count


def _with_kind(node: cst.BaseCompoundStatement) -> str | None:
    """The table of a batch_alter_table block, AUTOCOMMIT for an autocommit block, else None."""
    if not isinstance(node, cst.With):
        return None
    for item in node.items:
        call = item.item
        if isinstance(call, cst.Call) and _attribute(call.func)[1] == "batch_alter_table":
            found = literal(argument(call, 0, "table_name"))
            return found if isinstance(found, str) else None
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                and call.func.attr.value == "autocommit_block":  # op.get_context().autocommit_block()
            return AUTOCOMMIT
    return None


def _attribute(func: cst.BaseExpression) -> tuple[str | None, str | None]:
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        return func.value.value, func.attr.value
    return None, None


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def argument(call: cst.Call, index: int, keyword: str) -> cst.Arg | None:
    """The argument at a position or by keyword, as Alembic's signature places it."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    given = positional(call)
    return given[index] if index < len(given) else None


def literal(arg: cst.Arg | cst.BaseExpression | None) -> object:
    """A string, a list of strings, None (as NONE) or op.f("name"); anything else is None."""
    value = arg.value if isinstance(arg, cst.Arg) else arg
    if isinstance(value, cst.SimpleString | cst.ConcatenatedString):
        found = value.evaluated_value
        return found if isinstance(found, str) else None
    if isinstance(value, cst.Name) and value.value == "None":
        return NONE
    if isinstance(value, cst.List | cst.Tuple):
        items = [literal(e.value) for e in value.elements]
        return items if all(isinstance(i, str) for i in items) else None
    if isinstance(value, cst.Call) and _attribute(value.func)[1] == "f" and len(value.args) == 1:
        return literal(value.args[0])
    return None


def string(text: str, quote: str = '"') -> cst.SimpleString:
    if quote in text:
        quote = "'" if quote == '"' else '"'
    return cst.SimpleString(f"{quote}{text}{quote}")


def replace_argument(call: cst.Call, index: int, keyword: str, value: cst.BaseExpression) -> cst.Call:
    target = argument(call, index, keyword)
    return call.with_changes(args=[a.with_changes(value=value) if a is target else a for a in call.args])


def keyword_is_true(call: cst.Call, keyword: str) -> bool:
    arg = argument(call, 10_000, keyword)
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def add_keyword(call: cst.Call, keyword: str, value: str) -> cst.Call:
    """`keyword=value` as the last argument, with the separator the call already uses."""
    if argument(call, 10_000, keyword) is not None:
        return replace_argument(call, 10_000, keyword, cst.parse_expression(value))
    new = cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(keyword),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # a trailing comma: the new argument takes it
        separator = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else \
            cst.Comma(whitespace_after=call.whitespace_before_args)
        args[-1] = last.with_changes(comma=separator)
        args.append(new.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                                     whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(new.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


def _newline(extra: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=True,
                                       last_line=cst.SimpleWhitespace(extra))


def laid_out(call: cst.Call, column: int, limit: int, tail: int = 0) -> cst.Call:
    """The call laid out as ruff format lays it out, when it is on one line: kept if it fits, else
    its arguments on one indented line, else one per line with a trailing comma. A call the author
    already split over lines (a magic trailing comma) keeps its layout. `tail`: the width of a trailing
    comment, which ruff counts too."""
    code = cst.Module(body=[]).code_for_node(call)
    if ("\n" not in code and column + len(code) + tail <= limit) or ("#" in code and _has_comment(call)):
        return call
    if "\n" in code:
        if any(isinstance(a.comma, cst.Comma) for a in call.args[-1:]):
            return call
        flat = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                               if i < len(call.args) - 1 else cst.MaybeSentinel.DEFAULT,
                               whitespace_after_arg=cst.SimpleWhitespace(""))
                for i, a in enumerate(call.args)]
        call = call.with_changes(args=flat, whitespace_before_args=cst.SimpleWhitespace(""))
        code = cst.Module(body=[]).code_for_node(call)
        if "\n" in code:
            return call
        if column + len(code) + tail <= limit:
            return call
    inner = cst.Module(body=[]).code_for_node(call.with_changes(func=cst.Name("x"))).removeprefix("x(")[:-1]
    args = list(call.args)
    if column + 4 + len(inner) <= limit:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=_newline(""))
        return call.with_changes(whitespace_before_args=_newline("    "), args=args)
    args = [a.with_changes(comma=cst.Comma(whitespace_after=_newline("    " if i < len(args) - 1 else "")),
                           whitespace_after_arg=cst.SimpleWhitespace(""))
            for i, a in enumerate(args)]
    return call.with_changes(whitespace_before_args=_newline("    "), args=args)


def call_statement(code: str) -> cst.SimpleStatementLine:
    statement = cst.parse_statement(code + "\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement


@functools.cache
def _autocommit_block(receiver: str) -> cst.With:
    """Parsed once: libcst nodes are immutable, so every block can share it."""
    block = cst.parse_statement(f"with {receiver}.get_context().autocommit_block():\n    pass\n")
    assert isinstance(block, cst.With) and isinstance(block.body, cst.IndentedBlock)
    return block


def autocommit(statements: list[cst.BaseStatement], receiver: str = "op") -> cst.With:
    """`with op.get_context().autocommit_block():` around statements (their comments go first)."""
    block = _autocommit_block(receiver)
    leading = statements[0].leading_lines if isinstance(statements[0], cst.SimpleStatementLine) else ()
    if leading:
        statements = [statements[0].with_changes(leading_lines=()), *statements[1:]]
    return block.with_changes(body=block.body.with_changes(body=statements), leading_lines=leading)


class _Comments(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found = True


def _has_comment(node: cst.CSTNode) -> bool:
    """A call with comments between its arguments keeps its layout: re-flowing it would drop them."""
    visitor = _Comments()
    node.visit(visitor)
    return visitor.found
