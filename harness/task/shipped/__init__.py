"""Shipped tasks that need code; each module registers its ``Task`` subclass when imported.

The declarative shipped tasks are the YAML files in ``tasks/``; a name is one or the other.
"""
