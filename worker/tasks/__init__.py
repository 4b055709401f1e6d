"""Celery tasks. Each takes ids, opens its own database session and is safe to run twice."""
