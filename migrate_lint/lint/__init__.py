"""One `check` run: the engine that runs the selected checks and turns hits into findings, suppressions,
the deploy mode of each revision, the baseline, the lock file and the git changes of pull-request
mode. May import every analysis wing (cache, sql, revisions, rendering, checks), never database or
drift.
"""
