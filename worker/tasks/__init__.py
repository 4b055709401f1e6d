"""Celery tasks, registered by name (`backend.queue`). Each takes a job id, opens its own
database sessions (through the modules it calls) and is safe to run twice.

The package imports none of its modules: each worker app names those it serves
(`worker/celery_app.py` all of them, `worker/import_app.py` only `imports`, so the light
import worker never loads torch). To add a task module, add it to `TASK_MODULES` there."""
