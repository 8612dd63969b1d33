"""`trace`: run a history on a scratch database statement by statement and record what the server
really did (locks held, relations rewritten, indexes left invalid, constraints left unvalidated,
durations), then set that against what `check` says. It may import the vocabulary, sql, revisions,
rendering, checks, lint (for check's findings) and database (scratch databases, throwaway logins,
the child process); never drift."""
