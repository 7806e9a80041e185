"""StepDesk: administration of an API developer portal with step-up MFA."""

__version__ = "0.1.0"
APP_NAME = "StepDesk"
