"""Values given on Snakemake's command line, typed as the config schema asks.

Snakemake parses a nested ``--config`` value with YAML's BaseLoader, which keeps every
scalar a string: ``"prune={ratio: 0.3}"`` arrives as ``{"ratio": "0.3"}`` and
``"data={download: false}"`` as ``"false"``, and schema validation then rejects them. This
reads such strings with YAML's safe loader wherever the schema wants a number, integer,
boolean or null, and leaves every other value alone, so an ill-typed value ("many" for an
integer) still fails validation, naming the key.
"""
from __future__ import annotations

from typing import Any

import yaml

_TYPED = {"number", "integer", "boolean", "null"}


def typed_like_schema(value: Any, schema: dict[str, Any]) -> Any:
    """``value`` with its string scalars parsed where ``schema`` (JSON Schema) wants a non-string type."""
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {k: typed_like_schema(v, props.get(k, extra if isinstance(extra, dict) else {}))
                for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items")
        return [typed_like_schema(v, items if isinstance(items, dict) else {}) for v in value]
    types = schema.get("type", [])
    types = {types} if isinstance(types, str) else set(types)
    if isinstance(value, str) and types & _TYPED and "string" not in types:
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        return parsed if not isinstance(parsed, (str, dict, list)) else value
    return value
