"""Reading a history without running it: discovery of script locations, revision headers and the graph,
per-file facts and operations from the AST, inline directives, the project around the history (its own
modules, its naming convention), and the facts cache. May import the shared vocabulary, cache and sql.
"""
