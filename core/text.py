"""What text people and machines may send: no NUL character (PostgreSQL refuses it, so it was a
500 there and stored on SQLite), and not only invisible characters (a name of zero-width
spaces looks blank everywhere). Pure: no Django."""

import unicodedata

# Categories that draw nothing: controls, format characters (zero-width spaces and joiners,
# the byte-order mark, bidi marks), separators, and combining marks with no base.
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}


def text_problem(value: str) -> str | None:
    """Why `value` is refused, in words for the person who sent it; None if it is fine. An
    empty string is fine here (whether a field is required is the field's business)."""
    if "\x00" in value:
        return "Remove the NUL character (\\u0000): it cannot be stored."
    if value and all(unicodedata.category(ch) in _INVISIBLE for ch in value):
        return "This is made only of invisible characters: write some visible text."
    return None
