"""One module per job kind (`JobKind`): `train`, `predict`, `evaluate`, `import_`,
`extract_frames`, `predict_video`, `score_labels`, `link_frames`. Each defines the Celery task
named `keyloop.<kind>` (`backend.queue`) and the job's body, or a call into the module that
does the model work (named in its docstring). A task takes a job id, claims the row
(`worker.job_state.claim`, which also validates the job's typed options) and is safe to run
twice.

A task that needs the model claims first, so a takeover is on record before the seconds of
importing torch, and imports the model code inside its body: the worker's main process never
loads torch, and the pool child that runs a job (recycled after each, `worker/celery_app.py`)
loads it alone (tests/test_layering.py checks it).

The package imports none of its modules: each worker app names those it serves
(`worker/celery_app.py` all of them, `worker/import_app.py` those without a model). To add a
kind: a `JobKind` value, a `TASK_*` name and route in `backend/queue.py`, its options model in
`backend/schemas/job_options.py`, a module here, and its name in the worker apps.
"""
