"""Keyloop's web service: the REST API, the data model and the command line.

Nothing under `backend` imports torch: the model lives in `worker.ml` and is reached through
Celery tasks sent by name (see `backend.tasks`).
"""
