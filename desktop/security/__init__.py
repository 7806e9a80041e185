"""TOTP, otpauth URIs, the unlock window, passwords and encryption, without Qt or SQL."""
