"""The not-found guard of every service: a row that is missing, or another client's, is a 404."""
from __future__ import annotations

from ..errors import NotFoundError


def found(row, message: str):
    if row is None:
        raise NotFoundError(message)
    return row
