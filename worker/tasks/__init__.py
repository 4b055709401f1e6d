"""Celery tasks, registered by name (`backend.queue`). Each takes a job id, opens its own
database sessions (through the modules it calls) and is safe to run twice."""

from worker.tasks import evaluation, inference, policy, training

__all__ = ["evaluation", "inference", "policy", "training"]
