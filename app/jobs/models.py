from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TimestampMixin, UTCDateTime, db, str40, str120


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    FINISHED = frozenset({DONE, FAILED})


class Job(TimestampMixin, db.Model):
    __tablename__ = "job"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str120] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[str40] = mapped_column(default=JobStatus.QUEUED, index=True)
    payload: Mapped[dict] = mapped_column(default=dict)
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    message: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: where the user goes when the job is done (a URL inside the platform)
    result_url: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.progress / self.total))

    @property
    def finished(self) -> bool:
        return self.status in JobStatus.FINISHED

    def as_dict(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "status": self.status, "progress": self.progress,
            "total": self.total, "percent": self.percent, "message": self.message, "error": self.error,
            "attempts": self.attempts, "result": self.result, "result_url": self.result_url,
        }
