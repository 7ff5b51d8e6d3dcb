"""TensorFlow's errors about memory, image files and lost workers as one-sentence UserErrors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ftgui.core.errors import UserError

DECODE_ERRORS = ("Unknown image file format", "Input is empty", "Invalid JPEG", "decode")


@contextlib.contextmanager
def tensorflow_errors(doing: str) -> Iterator[None]:
    """Turn TensorFlow's errors about memory and image files into one-sentence UserErrors."""
    import tensorflow as tf

    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError):
        raise UserError(
            f"Another worker of the TF_CONFIG cluster stopped answering while {doing}; "
            f"start every worker again."
        ) from None
    except tf.errors.ResourceExhaustedError:
        raise UserError(
            f"Out of memory while {doing}; use a smaller batch size or image size."
        ) from None
    except tf.errors.NotFoundError as exc:
        raise UserError(
            f"An image file disappeared while {doing} ({exc.message.splitlines()[0]}); put the "
            f"dataset folder back and start again (finished epochs are kept)."
        ) from None
    except tf.errors.InvalidArgumentError as exc:
        lines = exc.message.splitlines()
        decode = next((line for line in lines if any(w in line for w in DECODE_ERRORS)), None)
        if decode is None:
            raise
        raise UserError(
            f"An image could not be decoded while {doing} ({decode.strip()}); "
            f"remove or replace that file."
        ) from None
