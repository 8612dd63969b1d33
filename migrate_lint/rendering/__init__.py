"""What SQL a revision stands for: offline rendering of upgrade() in contained worker processes (pool,
process, worker), and the SQL written from operations when a revision cannot be rendered (opsql). May
import the shared vocabulary, cache, sql and revisions.
"""
