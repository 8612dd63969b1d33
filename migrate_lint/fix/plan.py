"""The edits fixers plan on a file's original statements, applied together in one pass of the tree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from migrate_lint.fix.source import LINE, CallSite, Source, autocommit, laid_out

CallChange = Callable[[cst.Call], cst.Call]
Emit = Callable[[cst.Call], list[cst.BaseStatement]]


@dataclass
class StatementEdit:
    """What becomes of one call statement: its call changed, statements around it, an autocommit block."""

    site: CallSite
    changes: list[CallChange] = field(default_factory=list)
    before: list[Emit] = field(default_factory=list)
    after: list[Emit] = field(default_factory=list)
    autocommit: bool = False
    comments: list[str] = field(default_factory=list)  # comment lines to put above it


@dataclass
class Plan:
    source: Source
    dialect: str = "postgresql"
    lock_timeout: str = "5s"
    line_length: int = 88
    claimed: set[int] = field(default_factory=set)  # statements another edit already answers for
    edits: dict[int, StatementEdit] = field(default_factory=dict)
    prepend: dict[str, list[cst.BaseStatement]] = field(default_factory=dict)  # function -> first statements
    revision: str | None = None  # the file's revision id
    head: bool = False  # whether the revision is a head (a follow-up revision may come after it)
    followups: list[Any] = field(default_factory=list)  # revisions to write after it (fix.followup)

    def on(self, site: CallSite) -> StatementEdit:
        return self.edits.setdefault(id(site.statement), StatementEdit(site))

    def apply(self, whole: bool = False) -> str:
        """The fixed text: only the statements on the way to an edit are rebuilt (a transformer's
        visit of the whole tree costs several times the parse). Statement edits alone are spliced in
        (see _spliced); statements put first in a function (`prepend`), or `whole`, regenerate the module."""
        if not self.edits and not self.prepend:
            return self.source.text
        if not self.prepend and not whole:
            return self._spliced()
        builder = _Apply(self)
        module = self.source.module
        return self.source.head + module.with_changes(body=builder.body(module.body, top=True)).code


    def _spliced(self) -> str:
        """Each edited statement's new code generated alone, with the indentation of its line, and put in
        place of the lines `ast` gives it; every other character is copied from the text (generating the
        whole module costs as much as parsing it). The statement's comments above it stay as they are."""
        builder = _Apply(self)
        module = self.source.module
        lines = LINE.findall(self.source.text)
        for edit in sorted(self.edits.values(), key=lambda e: e.site.line, reverse=True):
            original = edit.site.statement
            new = builder.statement(original)
            kept = len(original.leading_lines)
            leading: Sequence[cst.EmptyLine] = getattr(new[0], "leading_lines", ())  # any statement has them
            new[0] = new[0].with_changes(leading_lines=leading[kept:])
            start, end = edit.site.line - 1, edit.site.end_line
            state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline,
                                 indent_tokens=[lines[start][:edit.site.column]])
            for statement in new:
                statement._codegen(state)
            code = "".join(state.tokens)
            if not lines[end - 1].endswith(("\n", "\r")):  # a last line with no newline after it
                code = code.rstrip("\r\n")
            lines[start:end] = [code]
        return "".join(lines)


class _Apply:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def body(self, statements: Sequence[cst.BaseStatement], top: bool = False) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine) and id(statement) in self.plan.edits:
                out += self.statement(statement)
            elif isinstance(statement, cst.BaseCompoundStatement) and (
                    id(statement) in self.plan.source.parents or (top and
                    isinstance(statement, cst.FunctionDef) and statement.name.value in self.plan.prepend)):
                out.append(self.compound(statement, top))
            else:
                out.append(statement)
        return out

    def compound(self, node: cst.BaseCompoundStatement, top: bool) -> cst.BaseCompoundStatement:
        if not isinstance(node.body, cst.IndentedBlock):
            return node
        body = self.body(node.body.body) if id(node) in self.plan.source.parents else list(node.body.body)
        first = self.plan.prepend.get(node.name.value) if top and isinstance(node, cst.FunctionDef) else None
        if first:
            at = 1 if body and _is_docstring(body[0]) else 0
            if body[at:] and _is_pass(body[at]):
                body.pop(at)  # `pass` was the whole body
            body[at:at] = first
            body = _renewed(body, first)
        return node.with_changes(body=node.body.with_changes(body=body))

    def statement(self, original: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        edit = self.plan.edits[id(original)]
        expression = original.body[0]
        assert isinstance(expression, cst.Expr) and isinstance(expression.value, cst.Call)
        call = expression.value
        for change in edit.changes:
            call = change(call)
        column = edit.site.column + (4 if edit.autocommit else 0)
        call = laid_out(call, column, self.plan.line_length, _tail(original))
        statement = original.with_changes(body=[expression.with_changes(value=call)], leading_lines=())
        main: cst.BaseStatement = statement
        if edit.autocommit:
            main = autocommit([statement], edit.site.receiver)
        out = [*(s for emit in edit.before for s in emit(call)), main,
               *(s for emit in edit.after for s in emit(call))]
        out = [s if s is main else self._fit(s, edit.site.column) for s in out]  # main is laid out already
        notes = [cst.EmptyLine(comment=cst.Comment(text)) for text in edit.comments]
        out[0] = out[0].with_changes(leading_lines=[*original.leading_lines, *notes])
        return out

    def _fit(self, statement: cst.BaseStatement, column: int) -> cst.BaseStatement:
        """New statements laid out to the line length too (an autocommit block indents its body)."""
        if isinstance(statement, cst.With) and isinstance(statement.body, cst.IndentedBlock):
            body = [self._fit(s, column + 4) for s in statement.body.body]
            return statement.with_changes(body=statement.body.with_changes(body=body))
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and \
                isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.Call):
            call = laid_out(statement.body[0].value, column, self.plan.line_length, _tail(statement))
            return statement.with_changes(body=[statement.body[0].with_changes(value=call)])
        return statement


def _renewed(body: list[cst.BaseStatement], first: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """`first` (the SET LOCAL lock_timeout) again after each autocommit block that something follows:
    the block commits Alembic's transaction, and a SET LOCAL ends with it."""
    out: list[cst.BaseStatement] = []
    for index, statement in enumerate(body):
        out.append(statement)
        later = body[index + 1:]
        if _is_autocommit(statement) and later and not _is_autocommit(later[0]) and \
                later[:len(first)] != first:
            out += first
    return out


def _is_autocommit(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.With) or len(statement.items) != 1:
        return False
    call = statement.items[0].item
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and \
        call.func.attr.value == "autocommit_block"


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and \
        isinstance(statement.body[0], cst.Expr) and \
        isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)


def _is_pass(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and \
        isinstance(statement.body[0], cst.Pass) and not statement.leading_lines and \
        statement.trailing_whitespace.comment is None


def _tail(statement: cst.SimpleStatementLine) -> int:
    """The width of the statement's trailing comment, which counts against the line length."""
    comment = statement.trailing_whitespace.comment
    return 0 if comment is None else len(statement.trailing_whitespace.whitespace.value) + len(comment.value)
