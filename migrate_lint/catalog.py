"""The rule catalogue: rules/*.yml loaded, validated and turned into RuleSpec values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from migrate_lint.errors import UserError
from migrate_lint.finding import Severity

CODE_PATTERN = re.compile(r"^ML\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REQUIRED = ("code", "name", "title", "severity", "deploy", "message", "help", "catches", "risk",
            "safe", "cases")
OPTIONAL = ("dialects", "tags", "references", "default", "example", "fix", "per-table", "per-revision",
            "trace", "lesser", "deploy-variants")
CASE_KEYS = {"name", "pass", "fail", "config", "fixed", "server", "project-root", "message", "help"}
# what `migrate-lint trace` must observe for a case (tests/test_trace_catalogue.py)
SERVER_FACTS = {"locks", "rewrites", "unvalidated", "scanned", "keys", "autocommit", "invalid", "algorithm"}
FIXES = ("safe", "unsafe")
# `deploy`: what the rule's risk needs while revisions run. "traffic": the application serving queries
# (locks that block them); "old-code": the previous release still running (it names what changed);
# "any": nothing, the risk exists with the application stopped (failures, data loss, hygiene)
DEPLOYS = ("traffic", "old-code", "any")
# which rules' findings each deploy mode holds back (config `deploy`)
HELD_BACK = {"online": frozenset(), "after-release": frozenset({"old-code"}),
             "offline": frozenset({"traffic", "old-code"})}
COMPILED = "catalog.json"  # rules/*.yml compiled, with the digest of the files it was compiled from
RULES_URL = "https://github.com/migrate-lint/migrate-lint/blob/main/docs/rules.md"  # the one place


def anchor(code: str, name: str) -> str:
    """The rule's section in docs/rules.md (GitHub's heading anchor)."""
    return f"{code}-{name}".lower()


def rule_url(code: str, name: str) -> str:
    return f"{RULES_URL}#{anchor(code, name)}"


def suggestion(word: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest of the choices, or nothing."""
    import difflib

    pool = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(pool), n=1, cutoff=0.6)
    return f" (did you mean {pool[close[0]]}?)" if close else ""


class CatalogError(UserError):
    pass


@dataclass(frozen=True)
class Case:
    """One `pass` or `fail` example of a rule's YAML: the revisions it checks and what it expects."""

    name: str
    kind: str  # "pass" or "fail"
    revisions: tuple[Any, ...]  # each a body string or a mapping with a full `source`
    config: dict[str, Any]
    fixed: str | None = None  # a fail case's upgrade() body once `check --fix` has fixed it
    server: Any = None  # {"postgresql": {"locks": {table: MODE}, "rewrites": [...]}}: what trace sees
    project_root: bool = True  # False: no pyproject.toml, setup.py, setup.cfg or .git above the history
    # text a fail case's finding of its rule must show in its message / help (each item, somewhere)
    message: tuple[str, ...] = ()
    help: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the catalogue, as its rules/MLxxx.yml says it."""

    code: str
    name: str
    title: str
    severity: Severity
    message: dict[str, str]  # variant -> template; "default" always present
    help: dict[str, str]
    catches: str
    risk: str
    safe: str
    example: str
    case_data: tuple[Any, ...]  # the YAML's `cases`, as plain data: built into `cases` when asked for
    dialects: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    default: bool = True
    fix: str = ""  # "safe", "unsafe" (`check --fix --unsafe-fixes`), or "" when there is no fix
    # what the rule's objects are called ("index"): its findings on one table in one revision file
    # are one risk, reported as one finding naming the others (lint.dedupe); "" for every finding apart
    per_table: str = ""
    # the same for a rule whose findings in one revision file are one risk whatever their tables
    # (a cleanup revision dropping thirty tables): one finding naming the others
    per_revision: str = ""
    deploy: str = "any"  # what the risk needs while revisions run: "traffic", "old-code" or "any"
    # a lock rule whose claim no server fact shows: why (its cases state no `server:` facts, and
    # `migrate-lint trace` gives its findings no verdict)
    trace: str = ""
    # wordings (message variants) whose case is a lesser risk, with the severity they report at
    # unless the config sets the rule's severity
    lesser: tuple[tuple[str, Severity], ...] = ()
    # wordings whose risk needs another deploy than the rule's (a key's type change: the rewrite's
    # lock needs traffic, where dropping the key breaks the revision however it runs)
    deploy_variants: tuple[tuple[str, str], ...] = ()

    @cached_property
    def cases(self) -> tuple[Case, ...]:
        """The rule's pass and fail examples (tests, docs, trace): a check never reads them, so a
        catalogue loaded from its compiled form, validated whole when compiled, builds them only now."""
        return tuple(_case(c, f"{self.code}.yml") for c in self.case_data)

    def applies_to(self, mode: str, variant: str = "default") -> bool:
        """Whether the risk exists for revisions run in this deploy mode (online, after-release,
        offline), for the wording a finding has."""
        return dict(self.deploy_variants).get(variant, self.deploy) not in HELD_BACK[mode]

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    def render(self, fields: dict[str, str]) -> tuple[str, str]:
        """Message and help for a hit's fields; `variant` picks a wording, default otherwise."""
        variant = fields.get("variant", "default")
        template = _Fields(fields)
        message = self.message.get(variant, self.message["default"])
        help_text = self.help.get(variant, self.help["default"])
        table = fields.get("table", "")
        if "{table}." in message:
            message = _TABLE_DOT.sub(lambda m: _qualified(table, fields.get(m[1], ""), m[1]), message)
        if (loop := re.match(_LOOP, table)) and "{table}" in help_text:
            # the loop's table in code the help writes is its variable, never its description quoted
            help_text = help_text.replace('"{table}"', loop["name"])
            help_text = _TABLE_DOT.sub(lambda m: _qualified(table, fields.get(m[1], ""), m[1]), help_text)
        elif _computed_table(table):
            help_text = _computed_in_code(help_text, table)
        if "qtable_code" in fields:  # the table's schema is an expression of the code (schema=schema_name)
            help_text = _EXECUTED_SQL.sub(
                lambda m: f"op.execute(f'{m[1].replace('{qtable}', '{qtable_code}')}')" if "{qtable}" in m[1]
                else m[0], help_text)
        return message.format_map(template), help_text.format_map(template)


_EXECUTED_SQL = re.compile(r"op\.execute\('((?:[^'\\]|\\.)*)'\)")


_LOOP = r"^each (?P<name>[\w.]+) of (?P<loop>the loop over .*)$"
_TABLE_DOT = re.compile(r"\{table\}\.\{(\w+)\}")


def _qualified(table: str, column: str, key: str) -> str:
    """table.column, or in words where the code computes them (a loop it runs: "each column_name of
    each table_name of the loop over columns (line 27)"; a helper's parameter: "tenant_id of the
    table argument of rename()"), never two descriptions joined by a dot."""
    table_loop, column_loop = re.match(_LOOP, table), re.match(_LOOP, column)
    if " " not in table and " " not in column:
        return f"{{table}}.{{{key}}}"
    if table_loop and column_loop and table_loop["loop"] == column_loop["loop"]:
        loop = table_loop["loop"].replace("{", "{{").replace("}", "}}")  # the text becomes a template
        return f"each {column_loop['name']} of each {table_loop['name']} of {loop}"
    return f"{{{key}}} of {{table}}" if " " in table else f"{{{key}}} of table {{table}}"


def _computed_table(table: str) -> bool:
    """The table is an expression the code computes it with (`prefix + "feedbacks"`, a call, an
    f-string), not a name: one with a string in it or an operator, which no table is called."""
    if re.fullmatch(r'[\w.$"`]*', table):
        return False  # a name, perhaps schema-qualified or quoted: most tables, and no parse for them
    import ast

    try:
        node = ast.parse(table, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return False
    return isinstance(node, ast.BinOp | ast.Call | ast.Subscript | ast.JoinedStr)


_SQL_CALL = re.compile(r"op\.execute\('([^']*)'\)")


def _computed_in_code(help_text: str, table: str) -> str:
    """The help's code with a computed table written as code: the expression itself where a call
    takes the table, and an f-string where SQL names it (trulens' `prefix + 'feedbacks'`), never
    the expression quoted as if it were the table's name."""
    code = table.replace("{", "{{").replace("}", "}}")
    in_sql = "{{" + table.replace("'", '"').replace("{", "{{").replace("}", "}}") + "}}"

    def sql(match: re.Match[str]) -> str:
        text = match[1]
        if not re.search(r"\{(?:q?table|qtable_unquoted)\}", text):
            return match[0]
        for key in ("{qtable_unquoted}", "{qtable}", "{table}"):
            text = text.replace(key, in_sql)
        return f"op.execute(f'{text}')"

    return _SQL_CALL.sub(sql, help_text).replace('"{table}"', code)


class _Fields(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _variants(value: Any, key: str, where: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"default": value.strip()}
    if isinstance(value, dict) and "default" in value and all(
            isinstance(v, str) for v in value.values()):
        return {str(k): v.strip() for k, v in value.items()}
    raise CatalogError(f"{where}: {key} is a string or a mapping of variants with a `default`")


def rules_dir() -> Path:
    """Inside an installed wheel the catalogue is migrate_lint/_rules; in a checkout, ../rules."""
    packaged = Path(__file__).parent / "_rules"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


def _loader() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[misc,valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise CatalogError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def _case(raw: Any, where: str) -> Case:
    if not isinstance(raw, dict) or set(raw) - CASE_KEYS or "name" not in raw:
        raise CatalogError(f"{where}: a case is a mapping with name, pass or fail, and config")
    kinds = [k for k in ("pass", "fail") if k in raw]
    if len(kinds) != 1:
        raise CatalogError(f"{where}: case {raw['name']!r} needs exactly one of pass/fail")
    body = raw[kinds[0]]
    if isinstance(body, dict) and "models" in body:
        return _drift_case(raw, kinds[0], body, where)
    revisions = tuple(body) if isinstance(body, list) else (body,)
    for rev in revisions:
        if not (isinstance(rev, str) or (isinstance(rev, dict) and isinstance(rev.get("source"), str))):
            raise CatalogError(f"{where}: case {raw['name']!r} has a revision that is neither a "
                               "body string nor a mapping with `source`")
    text = "\n".join(r if isinstance(r, str) else r["source"] for r in revisions)
    # a project file that is not Python (a stats snapshot) says what it expects at its line 1
    has_marker = "# expect:" in text or any(isinstance(r, dict) and r.get("expect") for r in revisions)
    if (kinds[0] == "fail") != has_marker:
        raise CatalogError(f"{where}: case {raw['name']!r}: fail cases carry `# expect:` markers "
                           "and pass cases carry none")
    fixed = raw.get("fixed")
    if fixed is not None and (kinds[0] != "fail" or not isinstance(fixed, str) or len(revisions) != 1
                              or not isinstance(revisions[0], str)):
        raise CatalogError(f"{where}: case {raw['name']!r}: `fixed` is the fixed body of a fail case "
                           "with one revision body")
    config = {k: _frozen(v) for k, v in (raw.get("config") or {}).items()}
    server = raw.get("server")
    if server is not None and (not isinstance(server, dict) or any(
            not isinstance(facts, dict) or set(facts) - SERVER_FACTS for facts in server.values())):
        raise CatalogError(f"{where}: case {raw['name']!r}: `server` maps a server to facts among "
                           f"{sorted(SERVER_FACTS)}")
    project_root = raw.get("project-root", True)
    if not isinstance(project_root, bool):
        raise CatalogError(f"{where}: case {raw['name']!r}: `project-root` is true or false")
    shown = {key: _texts(raw.get(key), key, raw["name"], where) for key in ("message", "help")}
    if kinds[0] != "fail" and any(shown.values()):
        raise CatalogError(f"{where}: case {raw['name']!r}: only a fail case says what its finding shows")
    return Case(raw["name"], kinds[0], revisions, config, fixed, _frozen(server), project_root, **shown)


def _texts(value: Any, key: str, case: str, where: str) -> tuple[str, ...]:
    """A case's `message:` or `help:`: one text or a list of texts the finding must contain."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
        raise CatalogError(f"{where}: case {case!r}: `{key}` is a text or a list of texts")
    return tuple(items)


DRIFT_KEYS = {"models", "upgrade", "downgrade", "roundtrip", "dialects"}


def _drift_case(raw: dict[str, Any], kind: str, body: dict[str, Any], where: str) -> Case:
    """A drift case: models (sa.Table lines on `metadata`) and the body of one revision's upgrade()."""
    if set(body) - DRIFT_KEYS or not all(isinstance(body.get(k, ""), str) for k in
                                         ("models", "upgrade", "downgrade")):
        raise CatalogError(f"{where}: case {raw['name']!r}: a drift case has models, upgrade and "
                           f"optionally downgrade, roundtrip and dialects")
    text = "\n".join(str(body.get(k, "")) for k in ("models", "upgrade", "downgrade"))
    if (kind == "fail") != ("# expect:" in text):
        raise CatalogError(f"{where}: case {raw['name']!r}: fail cases carry `# expect:` markers "
                           "and pass cases carry none")
    config = {k: _frozen(v) for k, v in (raw.get("config") or {}).items()}
    return Case(raw["name"], kind, (_frozen(body),), config)


def _frozen(value: Any) -> Any:
    """YAML lists as tuples: catalogue values are immutable (and so cacheable)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def read_rule(text: str, where: str) -> Any:
    """One rule's YAML as plain data; duplicate keys are an error."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except (yaml.YAMLError, CatalogError) as exc:
        raise CatalogError(f"{where}: {exc}") from None


def parse_rule(text: str, where: str) -> RuleSpec:
    return rule_from(read_rule(text, where), where)


def rule_from(data: Any, where: str, cases: bool = True) -> RuleSpec:
    """A rule's plain data (from its YAML, or from the compiled catalogue) validated into a RuleSpec;
    its cases too unless `cases` is False (the compiled catalogue's were when it was compiled)."""
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: a rule is a mapping")
    missing = [k for k in REQUIRED if k not in data]
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise CatalogError(f"{where}: missing keys {missing}, unknown keys {unknown}")
    if not CODE_PATTERN.match(str(data["code"])) or not NAME_PATTERN.match(str(data["name"])):
        raise CatalogError(f"{where}: bad code {data['code']!r} or name {data['name']!r}")
    try:
        severity = Severity.parse(str(data["severity"]))
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from None
    fix = str(data.get("fix") or "")
    if fix and fix not in FIXES:
        raise CatalogError(f"{where}: fix is one of {', '.join(FIXES)}, not {fix!r}")
    if data["deploy"] not in DEPLOYS:
        raise CatalogError(f"{where}: deploy is one of {', '.join(DEPLOYS)}, not {data['deploy']!r}")
    per_table, per_revision = data.get("per-table") or "", data.get("per-revision") or ""
    for key, noun in (("per-table", per_table), ("per-revision", per_revision)):
        if not isinstance(noun, str) or (noun and not re.fullmatch(r"[a-z]+( [a-z]+)*", noun)):
            raise CatalogError(f"{where}: {key} names the rule's objects in lower-case words (index)")
    if per_table and per_revision:
        raise CatalogError(f"{where}: per-table and per-revision are two ways to merge: give one")
    if cases:
        _check_cases(data, tuple(_case(c, where) for c in data["cases"] or ()), fix, where)
    return RuleSpec(
        code=data["code"], name=data["name"], title=data["title"], severity=severity,
        message=_variants(data["message"], "message", where),
        help=_variants(data["help"], "help", where), catches=data["catches"].strip(),
        risk=data["risk"].strip(), safe=data["safe"].strip(),
        example=str(data.get("example") or "").strip("\n"), case_data=tuple(data["cases"] or ()),
        dialects=tuple(data.get("dialects") or ()), tags=tuple(data.get("tags") or ()),
        references=tuple(data.get("references") or ()), default=bool(data.get("default", True)), fix=fix,
        deploy=data["deploy"],
        per_table=per_table, per_revision=per_revision, trace=" ".join(str(data.get("trace") or "").split()),
        lesser=_lesser(data.get("lesser"), data["message"], where),
        deploy_variants=_deploy_variants(data.get("deploy-variants"), data["message"], where),
    )


def _deploy_variants(value: Any, message: Any, where: str) -> tuple[tuple[str, str], ...]:
    """`deploy-variants: {variant: deploy}`, each variant one of the message's."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not isinstance(message, dict) or set(value) - set(message) \
            or set(value.values()) - set(DEPLOYS):
        raise CatalogError(f"{where}: deploy-variants maps message variants to one of {', '.join(DEPLOYS)}")
    return tuple((str(variant), str(deploy)) for variant, deploy in value.items())


def _lesser(value: Any, message: Any, where: str) -> tuple[tuple[str, Severity], ...]:
    """`lesser: {variant: severity}`, each variant one of the message's."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not isinstance(message, dict) or set(value) - set(message):
        raise CatalogError(f"{where}: lesser maps message variants to a severity")
    try:
        return tuple((str(variant), Severity.parse(str(level))) for variant, level in value.items())
    except ValueError as exc:
        raise CatalogError(f"{where}: lesser: {exc}") from None


def _check_cases(data: dict[str, Any], cases: tuple[Case, ...], fix: str, where: str) -> None:
    if data.get("trace") and any(c.server for c in cases):
        raise CatalogError(f"{where}: `trace` says why the server cannot show the rule's claim, so no "
                           "case states `server:` facts")
    if not fix and any(c.fixed is not None for c in cases):
        raise CatalogError(f"{where}: a case gives `fixed` source but the rule has no fix")
    if not any(c.kind == "fail" for c in cases) or not any(c.kind == "pass" for c in cases):
        raise CatalogError(f"{where}: every rule needs at least one pass and one fail case")


@dataclass(frozen=True)
class Catalog:
    """Every rule, sorted by code; looked up by code or name."""

    rules: tuple[RuleSpec, ...]

    def __post_init__(self) -> None:
        for attr in ("code", "name"):
            values = [getattr(r, attr) for r in self.rules]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise CatalogError(f"duplicate rule {attr}s: {', '.join(dupes)}")

    def get(self, key: str) -> RuleSpec | None:
        return self._by_key.get(key.strip().lower())

    @cached_property
    def _by_key(self) -> dict[str, RuleSpec]:
        """Each rule by its code (lower-cased) and its name, the first rule winning as a walk
        through them would: the engine asks once per finding."""
        found: dict[str, RuleSpec] = {}
        for rule in self.rules:
            found.setdefault(rule.code.lower(), rule)
            found.setdefault(rule.name, rule)
        return found

    @cached_property
    def postgresql_only(self) -> frozenset[str]:
        """Codes of the rules that apply to PostgreSQL alone, whose helps are PostgreSQL's."""
        return frozenset(rule.code for rule in self.rules if rule.dialects == ("postgresql",))

    @cached_property
    def mysql_rules(self) -> frozenset[str]:
        """Codes of the rules that apply to MySQL, whose helps may give MySQL's own SQL (a
        variant of a rule of every database, primary-key-change's, as well as MySQL's own rules)."""
        return frozenset(rule.code for rule in self.rules if not rule.dialects or "mysql" in rule.dialects)

    @cached_property
    def postgresql_bound(self) -> frozenset[str]:
        """Codes of the rules whose claim is PostgreSQL's own: those that apply to it alone, and
        those of a statement that fails on a table with rows, which MySQL fills instead."""
        return self.postgresql_only | frozenset(rule.code for rule in self.rules if "rows" in rule.tags)

    def suggest(self, key: str) -> str:
        """' (did you mean X?)' for a code or name that is not in the catalogue."""
        return suggestion(key.strip(), [name for rule in self.rules for name in (rule.code, rule.name)])

    def matching(self, selector: str) -> list[RuleSpec]:
        """Rules a selector names: a code, a code prefix such as `ML2`, a name, or `ALL`."""
        selector = selector.strip()
        if selector == "ALL":
            return list(self.rules)
        return [r for r in self.rules if r.name == selector or (r.code.startswith(selector.upper())
                and selector.upper().startswith("ML"))]


@lru_cache(maxsize=4)
def load_catalog(folder: Path | None = None) -> Catalog:
    """The catalogue: from the compiled catalog.json beside the YAML while it was compiled from
    exactly these files (parsing 65 YAML files costs a cold `check` about 0.1 s), else from the YAML
    itself. Nothing is read from or written to the user's cache folder."""
    folder = folder or rules_dir()
    paths = sorted(folder.glob("*.yml"))
    if not paths:
        raise CatalogError(f"no rules found in {folder}")
    files = {path.name: path.read_bytes() for path in paths}
    data = _compiled(folder / COMPILED, _digest(files))
    compiled = data is not None
    if data is None:
        data = {name: read_rule(text.decode("utf-8"), name) for name, text in files.items()}
    rules = [rule_from(value, name, cases=not compiled) for name, value in data.items()]
    return Catalog(tuple(sorted(rules, key=lambda r: r.code)))


def _digest(files: dict[str, bytes]) -> str:
    """Of the YAML files' names and bytes (hashing their repr as text cost a check ~2 ms), with line
    ends as text reads them: a checkout with CRLF line ends still fits the compiled catalogue."""
    import hashlib

    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        digest.update(b"%d:%s%d:" % (len(name), name.encode(), len(data)))
        digest.update(data)
    return digest.hexdigest()


def _compiled(path: Path, digest: str) -> dict[str, Any] | None:
    """The rules' data as compiled from YAML files with this digest, if the file holds exactly that."""
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("digest") != digest:
        return None
    rules = document.get("rules")
    return rules if isinstance(rules, dict) else None


def compile_catalog(folder: Path | None = None) -> str:
    """catalog.json for the YAML in the folder (`python -m migrate_lint.catalog` writes it)."""
    import json

    folder = folder or rules_dir()
    files = {path.name: path.read_bytes() for path in sorted(folder.glob("*.yml"))}
    data = {name: read_rule(text.decode("utf-8"), name) for name, text in files.items()}
    for name, value in data.items():
        rule_from(value, name)  # only a valid catalogue is compiled
    return json.dumps({"digest": _digest(files), "rules": data}, indent=0, sort_keys=True) + "\n"


if __name__ == "__main__":
    target = rules_dir() / COMPILED
    target.write_text(compile_catalog(), encoding="utf-8")
    print(f"wrote {target}")
