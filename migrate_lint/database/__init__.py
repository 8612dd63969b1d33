"""Everything that touches a database server: scratch databases, runners of a history (env.py or our
own), loading the application's models, reflection into schema shapes and canonical type names. Shared by
drift and the wings to come. May import the shared vocabulary, cache and revisions; never lint or checks.
"""
