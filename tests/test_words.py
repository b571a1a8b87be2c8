"""Every language's catalogue holds the same keys, with the same placeholders, as the English one."""
import re

import pytest

from edgenas.words import LANGUAGES, load_words

PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def leaves(value, path=()):
    """(key path, text) for every word in a catalogue."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, (*path, str(k)))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in leaves(v, (*path, str(i)))]
    return [(path, str(value))]


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_catalogue_has_the_english_keys_and_placeholders(lang):
    # video.classes translates class names where the language needs it (English shows them as they are)
    english, other = ({k: v for k, v in leaves(load_words(lang)) if k[:2] != ("video", "classes")}
                      for lang in ("en", lang))
    assert set(english) == set(other), (sorted(set(english) ^ set(other)))
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(other[key])), (key, text, other[key])
