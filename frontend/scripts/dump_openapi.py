"""Print the API's OpenAPI document (JSON) without starting a server: what `/openapi.json`
serves, with one correction for the generated types. Input of `npm run gen:types`.

The correction: a response carries every field of its schema (FastAPI serialises defaults
too), but pydantic lists a field with a default as optional, so `ImageRead.video_id` would
read `video_id?: number | null` in TypeScript. A schema reached only from responses therefore
gets all its properties marked required here; one also reached from a request (`Point`) keeps
its optional fields, as a client may leave them out.

Settings are the defaults with a throwaway data folder, so the document does not depend on
who generates it and a developer's own database and secret are never read.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

Document = dict[str, Any]


def _refs(node: Any) -> set[str]:
    """Names of the component schemas `node` refers to, directly."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _closure(names: set[str], schemas: Document) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(schemas.get(name, {})) - seen)
    return seen


def responses_always_complete(document: Document) -> Document:
    schemas: Document = document.get("components", {}).get("schemas", {})
    sent: set[str] = set()
    received: set[str] = set()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            sent |= _refs(operation.get("responses", {}))
            received |= _refs(operation.get("requestBody", {}))
            received |= _refs(operation.get("parameters", []))
    for name in _closure(sent, schemas) - _closure(received, schemas):
        properties = schemas[name].get("properties")
        if properties:
            schemas[name]["required"] = sorted(properties)
    return document


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="keyloop-openapi-") as folder:
        for name in [n for n in os.environ if n.startswith("KEYLOOP_")]:
            del os.environ[name]  # the document must not depend on who generates it
        os.environ["KEYLOOP_DATA_DIR"] = folder
        from backend.app import create_app

        document = create_app().openapi()
    json.dump(responses_always_complete(document), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
