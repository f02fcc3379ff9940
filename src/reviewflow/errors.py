"""The one error type the project raises for bad input.

Every message names the file and, where known, the line or record, so a user can go
straight to the problem. The CLI prints it without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class ReviewflowError(Exception):
    """Bad input or a failed check, with where it happened."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.record = record
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.record is not None:
            where += f" (record {self.record})"
        return f"{where}: {self.message}" if where else self.message
