"""`python -m guardrails` is the `guardrails` command."""

from guardrails.cli import main

main()
