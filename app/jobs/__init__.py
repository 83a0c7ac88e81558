"""Background jobs for long work (imports, auto-coding, exports, scale generation).

``enqueue(kind, payload)`` stores a ``Job`` row and hands its id to a queue: RQ on Redis when ``REDIS_URL`` is set,
otherwise an in-process worker thread (the embedded default); in tests (``JOBS_EAGER``) the job runs at once.
Job functions are registered with ``@job("name")`` and receive a ``JobContext`` to report progress. They must be
idempotent: a job that dies mid-way (worker killed, web restart) is run again from the start, so it replaces what
an earlier attempt wrote instead of adding to it.
"""

from app.jobs.models import Job, JobStatus
from app.jobs.runner import JobContext, enqueue, job, registered_jobs, run_job

__all__ = ["Job", "JobStatus", "JobContext", "enqueue", "job", "registered_jobs", "run_job"]
