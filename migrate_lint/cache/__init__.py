"""Caches on disk: where they live (folder, importable before anything else) and the content-hash store of
plain values (store). Imports nothing of the tool but its version: every wing may use it.
"""
