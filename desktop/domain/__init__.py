"""Entities, roles, policy and errors, in plain Python."""
