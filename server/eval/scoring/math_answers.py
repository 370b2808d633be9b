"""Math answers in the shapes models write them (LaTeX, boxed, with units or thousands
separators) reduced to one canonical text, and compared as numbers where both are."""
from __future__ import annotations

import math
import re

_SPACING = ("\\!", "\\,", "\\;", "\\:", "\\ ", "~")
_WRAPPERS = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|operatorname)\{([^{}]*)\}")
_TRAILING_WORDS = re.compile(r"(-?[\d.,/]+)\s*[A-Za-z][A-Za-z\s]*")
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_FRAC = re.compile(r"(-?)\\frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}")
_SLASH = re.compile(r"(-?[\d.]+)/(-?[\d.]+)")


def extract_boxed(text: str) -> str | None:
    """The content of the last \\boxed{...} (or \\fbox{...}), braces balanced; None if there is none."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1:i]
    return None


def normalize(answer: str) -> str:
    text = answer.strip()
    boxed = extract_boxed(text)
    if boxed is not None:
        text = boxed
    for spacing in _SPACING:
        text = text.replace(spacing, " ")
    text = text.replace("$", "").replace("\\left", "").replace("\\right", "")
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    text = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", text)
    text = re.sub(r"\^\{?\\circ\}?", "", text).replace("\\%", "").replace("%", "")
    text = _WRAPPERS.sub(r"\1", text).strip()
    if "=" in text:  # "x = 5" answers 5
        text = text.rsplit("=", 1)[1].strip()
    words = _TRAILING_WORDS.fullmatch(text)  # "12 apples", "5 dollars"
    if words:
        text = words.group(1)
    text = re.sub(r"\s+", "", text).rstrip(".")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    return text


def value(text: str) -> float | None:
    """A normalized answer's numeric value, if it is a number or a simple fraction."""
    try:
        return float(text)
    except ValueError:
        pass
    fraction = _FRAC.fullmatch(text)
    if fraction:
        sign, numerator, denominator = fraction.groups()
        return _divide(numerator, denominator, -1.0 if sign else 1.0)
    fraction = _SLASH.fullmatch(text)
    if fraction:
        return _divide(*fraction.groups(), 1.0)
    return None


def _divide(numerator: str, denominator: str, sign: float) -> float | None:
    try:
        return sign * float(numerator) / float(denominator)
    except (ValueError, ZeroDivisionError):
        return None


def equivalent(a: str, b: str) -> bool:
    """Same canonical text, or the same number (within 1e-9 relative)."""
    if a == b:
        return True
    x, y = value(a), value(b)
    return x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
