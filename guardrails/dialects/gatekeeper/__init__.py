"""Gatekeeper support: ConstraintTemplates (Rego, CEL), constraint matching, review input,
the inventory of referential templates and the native fast paths (`fastpaths/`, by family).

The adapter (`adapter`) turns documents into CompiledRules with
these parts; regopy and the CEL runtime are imported only when a template needs them.
"""
