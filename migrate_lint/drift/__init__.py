"""The `drift` command: upgrade a scratch database, compare its reflected schema with the models
(compare), downgrade and upgrade each revision (roundtrip), and point at the revision a table came from
(origins). May import database, revisions, cache and the shared vocabulary; never lint or checks.
"""
