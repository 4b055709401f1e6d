"""Annotation file formats, as pure functions between files and `common.Dataset`.

Each module reads a `Bundle` (the uploaded or given files) into a `Dataset` and writes a
`Dataset` back as named files; none touches the database or imports FastAPI, so each is
tested alone. To add a format: write its `read`/`write` in a new module here, add a member to
`services.transfer.Format`, a branch to `services.transfer.read_dataset` and one to
`services.transfer_export.export`; the CLI and API pick the new member up by themselves.
"""
