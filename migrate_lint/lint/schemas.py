"""The schema a finding's operation names (`schema=`, `source_schema=`, `batch_alter_table(schema=)`),
carried into the finding's fields so that every Alembic and SQL snippet of its help names the same
table as the code does."""

from __future__ import annotations

from dataclasses import replace

from migrate_lint.checks import Hit
from migrate_lint.revisions.migration import Migration
from migrate_lint.sql.names import sql_ident

# fields every template may use: empty when the operation names no schema, or no earlier statement
# holds the table's lock (`held`)
DEFAULTS = {"schema_kw": "", "source_schema_kw": "", "held": ""}


def with_schema(hit: Hit, migration: Migration) -> Hit:
    """The hit with `qtable` and `qcolumn` (its table and column as SQL writes them: `"user"`) and,
    when the operation at its line names a schema: `schema`, `schema_kw` (`, schema="x"`),
    `source_schema_kw`, and `qtable` qualified (`x.t`)."""
    column = hit.fields.get("column")
    if column and "qcolumn" not in hit.fields and " " not in column:
        hit = replace(hit, fields={**hit.fields, "qcolumn": sql_ident(column)})
    schema = hit.fields.get("schema") or next(
        (op.schema for op in migration.operations
         if op.schema and (op.line <= hit.line <= op.end_line or op.batch_line == hit.line)), None)
    table = hit.fields.get("table")
    qtable = hit.fields.get("qtable") or (sql_ident(table) if table and "." not in table else table)
    if not schema:
        # a schema the code computes (schema=INVENTORY_SCHEMA): the Alembic calls of the help
        # name it as the code does, and its SQL as an f-string that puts it before the table
        code = next((op.schema_code for op in migration.operations if op.schema_code
                     and (op.line <= hit.line <= op.end_line or op.batch_line == hit.line)), None)
        if code:
            hit = replace(hit, fields={**hit.fields, "schema_kw": f", schema={code}",
                                       "source_schema_kw": f", source_schema={code}",
                                       **({"qtable_code": f"{{{code}}}.{qtable}"} if qtable else {})})
        schema = None if code else hit.fields.get("sql_schema")  # raw SQL that qualifies its table
        if not schema:
            return replace(hit, fields={**hit.fields, "qtable": qtable}) if qtable else hit
    fields = {**hit.fields, "schema": schema, "schema_kw": f', schema="{schema}"',
              "source_schema_kw": f', source_schema="{schema}"'}
    if qtable:
        prefix = sql_ident(schema) + "."
        fields["qtable"] = qtable if qtable.startswith(prefix) else prefix + qtable
    return replace(hit, fields=fields)
