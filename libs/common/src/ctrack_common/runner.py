"""Running a service process: logging configured, then uvicorn on the configured port."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from ctrack_common.logging import configure_logging
from ctrack_common.settings import ServiceSettings

__all__ = ["serve"]


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL)
    uvicorn.run(
        app,
        host=settings.HTTP_HOST,
        port=settings.HTTP_PORT,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
