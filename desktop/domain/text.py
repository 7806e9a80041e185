"""Text keys used for comparison and search."""

import unicodedata


def fold(text: str) -> str:
    """Return the NFKC case-folded form, which is how names are compared.

    SQLite's lower() folds ASCII only, so a folded copy is stored beside
    every name that is searched or must be unique regardless of case.
    """
    return unicodedata.normalize("NFKC", text).casefold()
