"""Pydantic request/response models, one module per resource (`XCreate`, `XUpdate`, `XRead`)."""
