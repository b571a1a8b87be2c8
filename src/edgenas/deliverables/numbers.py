"""Numbers as readers read them, per language: significant digits, thousands grouped, a decimal
comma in Vietnamese; accuracies to two decimals, milliseconds to three, point differences signed."""
from __future__ import annotations

import math
from typing import Any


def num(value: Any, digits: int = 3, lang: str = "en") -> str:
    """A number for readers: significant digits, thousands grouped, Vietnamese decimal comma."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 100:
        text = f"{int(round(float(value))):,}"
        return text.replace(",", ".") if lang == "vi" else text
    text = f"{float(value):.{digits}g}"
    return text.replace(".", ",") if lang == "vi" else text


def pct(value: float, lang: str = "en") -> str:
    """An accuracy, to two decimals (a test set of 10,000 resolves 0.01 %): 87.10 %, not 87.1 %."""
    text = f"{100 * value:.2f}"
    return (text.replace(".", ",") if lang == "vi" else text) + " %"


def ms(value: float, lang: str = "en") -> str:
    text = f"{value:.3f}"
    return (text.replace(".", ",") if lang == "vi" else text) + " ms"


def ratio(value: float, lang: str = "en") -> str:
    """A ratio read the way it goes: 2.1 -> '2.1', 0.8 -> '1.25' (the template says faster or slower)."""
    return num(value if value >= 1 else 1 / value, 3, lang) + "×"


def yes_no(value: Any, words: dict) -> str:
    """A yes or a no in the language of ``words`` (its catalogue)."""
    return words["values"]["yes" if bool(value) else "no"]


def change(points: float, lang: str) -> str:
    """A change in points with its sign, to two decimals: a gain and a loss read apart (+0.29, -0.66)."""
    text = f"{points:+.2f}"
    return text.replace(".", ",") if lang == "vi" else text


def point_cell(value: float | None, lang: str) -> str:
    """A table's difference in points: signed, to two decimals like the HTML report's (– for none)."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else change(value, lang)


def signed(points: float, lang: str) -> tuple[str, bool]:
    """A difference in points as its size, to two decimals like ``change`` (a mean of seeds gave
    '0.564' beside '0.32'), and its direction (True: above)."""
    return change(abs(points), lang).lstrip("+"), bool(points >= 0)


def few(names: str | None, lang: str, most: int = 1) -> str:
    """A comma-joined list of model names cut for a slide title or a summary line: the names where there
    are at most ``most``, else their count ('4 models'), so a title stays within two lines."""
    items = [n.strip() for n in names.split(",") if n.strip()] if isinstance(names, str) else []  # NaN: none
    if len(items) <= most:
        return ", ".join(items)
    return {"en": "{n} models", "vi": "{n} mô hình"}[lang].format(n=len(items))
