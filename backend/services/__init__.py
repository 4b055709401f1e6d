"""Business logic. Services take a Session, flush but never commit: the caller (a request
dependency, a CLI command or a task) owns the unit of work."""
