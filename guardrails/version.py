"""The package version, in a module of its own so that reporters can print it without
importing the public API (and the engine behind it)."""

__version__ = "0.1.0"

# Where the project lives: SARIF's driver informationUri, and the base of every built-in rule's
# documentation link (docs/rules.md at this version's tag, one anchor per rule).
REPOSITORY = "https://github.com/your-org/guardrails"
RULE_DOCS = f"{REPOSITORY}/blob/v{__version__}/docs/rules.md"
