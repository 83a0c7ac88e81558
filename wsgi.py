"""WSGI entry point for the production profile: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Secrets and the database come from the environment (SECRET_KEY, DATABASE_URL, REDIS_URL); the app refuses to start
with the development SECRET_KEY."""

from app import create_app

app = create_app()
