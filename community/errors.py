"""Errors of the public side. Each carries a stable code: the pages show its message in the
reader's language (messages/*.json), counters key on it.

CommunityError
├── PhotoRejected     a photo is too large, not an image, or cannot be decoded
├── FormRejected      a report or check-in form is incomplete or names an unknown place
├── RateLimited       too many reports from one address or for one building
└── NotSignedIn       a patrol page needs a signed-in grid worker or station member
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field


class CommunityError(Exception):
    retriable = False

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code if not params else f"{code} {params}")
        self.code = code
        self.params = params


class PhotoRejected(CommunityError):
    pass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a form: which field, the message code, its parameters."""

    field: str
    code: str
    params: dict[str, object] = dc_field(default_factory=dict)


class FormRejected(CommunityError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].code if problems else "form_rejected")
        self.problems = problems


class RateLimited(CommunityError):
    retriable = True


class NotSignedIn(CommunityError):
    pass
