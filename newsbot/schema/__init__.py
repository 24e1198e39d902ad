"""The article record's contract: ``article.schema.json`` (JSON Schema 2020-12), documented
field by field in docs/records.md.

:data:`SCHEMA_VERSION` is read from the schema file itself, so the version the pipelines
stamp on records and the schema that checks them cannot drift apart.  Validation needs
``jsonschema`` (a test dependency; consumers may use any 2020-12 validator).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

SCHEMA_FILE = "article.schema.json"


@lru_cache(maxsize=1)
def article_schema() -> dict:
    return json.loads(resources.files("newsbot").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8"))


#: the version newsbot writes (the schema's default); older versions it lists still validate
SCHEMA_VERSION: str = article_schema()["properties"]["schema_version"]["default"]
SCHEMA_VERSIONS: tuple[str, ...] = tuple(article_schema()["properties"]["schema_version"]["enum"])


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(article_schema())
    return Draft202012Validator(article_schema())


def record_errors(record: dict) -> list[str]:
    """Every way ``record`` breaks the schema, as ``path: message`` lines (empty: valid)."""
    errors = sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in errors]


def validate_record(record: dict) -> None:
    """Raise ``ValueError`` listing every schema violation of ``record``."""
    errors = record_errors(record)
    if errors:
        raise ValueError(f"record {record.get('id')!r} breaks {SCHEMA_FILE} {SCHEMA_VERSION}: " + "; ".join(errors))
