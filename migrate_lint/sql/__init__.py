"""SQL text into facts: the only user of sqlglot. Parses statements (rendered, written from operations or
literal in op.execute) into the SqlFacts the checks read. Imports only the shared vocabulary.
"""
