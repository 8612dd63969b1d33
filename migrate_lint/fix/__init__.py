"""`check --fix` and `--diff`: lossless rewrites of revision files with libcst, one fixer per fixable rule,
applied only to revisions not applied yet and re-checked before anything is written.

Imports: the shared vocabulary, sql, revisions, rendering, checks and lint (to re-check a fixed file);
never database or drift (the proof that a fix keeps the schema lives in the tests). libcst is imported
only here, and only when a fixable finding needs it."""
