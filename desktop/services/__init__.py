"""Use cases. Every permission and step-up check happens in this package."""
