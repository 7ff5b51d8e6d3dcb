"""The one exception type whose message is meant for the person using ftgui."""


class UserError(Exception):
    """Bad input or a missing resource, in one sentence: what is wrong and what to do."""
