"""Names and other short text typed by people: refused when they could mislead a reader.

Control characters break lines and columns in reports; bidirectional overrides
(U+202A-202E, U+2066-2069) make "Smith" display as something else in a list.
"""

from __future__ import annotations

import unicodedata

from .errors import ValidationError

_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def clean_name(value: str, field: str = "name", *, required: bool = True) -> str:
    """``value`` with runs of spaces folded, or a ValidationError naming the field and the character."""
    text = " ".join(str(value).split())
    for position, char in enumerate(text, start=1):
        if char in _BIDI_CONTROLS:
            raise ValidationError(f"The {field} {text!r} holds a hidden text-direction mark "
                                  f"(U+{ord(char):04X}) at character {position}; type it again without it.")
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise ValidationError(f"The {field} {text!r} holds a control or unprintable character "
                                  f"(U+{ord(char):04X}) at character {position}; type it again without it.")
    if required and not text:
        raise ValidationError(f"The {field} is empty.")
    return text
