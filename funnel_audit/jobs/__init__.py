"""Audits as jobs: run locally by `run-due`, or on several machines as Celery tasks."""
