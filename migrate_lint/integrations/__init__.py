"""Where users run the tool besides the command line: `flask migrate-lint` (flask_cli) and the pytest
plugin. The top of the house: may import any wing.
"""
