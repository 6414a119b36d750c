class ApiError(Exception):
    """A handled error, answered as ``{"status": "error", "message": message}`` with ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(message: str) -> dict:
    """Spika's error envelope; every error answer of the API has this body."""
    return {"status": "error", "message": message}
