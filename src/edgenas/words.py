"""The words the code places before a reader (figure labels, table columns, the video's cards, the
run's summary), from the language's catalogue ``words.<language>.yaml`` among the report templates:
a student's edited copy (``report.templates``) first, then the workflow's own. Python fills their
``{placeholders}`` and writes no word of its own."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "vi")  # report.language: every one has its templates and its catalogue
# The workflow's own templates (report/templates/ of the repository this package is installed from)
TEMPLATES = Path(__file__).resolve().parents[2] / "report" / "templates"


def words_file(lang: str, folders: list[str | Path] = ()) -> Path:
    """The catalogue of ``lang``: the first of ``folders`` that holds it, else the workflow's."""
    for folder in [*folders, TEMPLATES]:
        path = Path(folder) / f"words.{lang}.yaml"
        if path.is_file():
            return path
    raise FileNotFoundError(f"report.language: no words.{lang}.yaml in {', '.join(map(str, [*folders, TEMPLATES]))}")


@lru_cache(maxsize=None)
def _read(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


def load_words(lang: str, folders: list[str | Path] = ()) -> dict[str, Any]:
    """The catalogue of ``lang`` as a dict (read once per file)."""
    return _read(words_file(lang, folders))


def read_words(path: str | Path) -> dict[str, Any]:
    """A catalogue named by its path (a rule's input)."""
    return _read(Path(path).resolve())


def font_for(words: dict) -> str | None:
    """A TrueType font with every letter of the catalogue's video words, where OpenCV's own (ASCII
    only) lacks some: matplotlib's DejaVu Sans, which covers Vietnamese."""
    def texts(value):
        if isinstance(value, dict):
            return [t for k, v in value.items() for t in [str(k), *texts(v)]]
        return [t for v in value for t in texts(v)] if isinstance(value, list) else [str(value)]

    if all(t.isascii() for t in texts(words["video"])):
        return None
    import matplotlib

    return str(Path(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf"))
