"""Running models over suites: plan work units, execute them locally (or on Ray)."""
