"""Event views declare one handler per event type; dispatch and subscription follow from that.

A view subclasses `EventView` and marks a method per event type with `@handles(Type)`, as
Keras callbacks define `on_epoch_end`. `events_of(view)` lists the declared types,
`handlers_of(view)` maps each to its bound method (what a subscription connects), and
`view.handle(event)` calls the handler of the event's exact type, ignoring any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

Method = TypeVar("Method", bound=Callable[..., Any])
_MARK = "_handles_event_types"


def handles(*event_types: type) -> Callable[[Method], Method]:
    """Mark a method `(self, event)` as its class's handler of events of exactly `event_types`."""
    if not event_types or not all(isinstance(t, type) for t in event_types):
        raise TypeError("handles() takes one or more event classes")

    def mark(method: Method) -> Method:
        setattr(method, _MARK, (*getattr(method, _MARK, ()), *event_types))
        return method

    return mark


class EventView:
    """Mixin: a class's `@handles` methods become its table of handlers, checked when the
    class is defined (two methods of one class for one type is an error; a subclass's own
    declaration replaces an inherited one)."""

    _handler_names: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = dict(cls._handler_names)  # what the base classes declared
        own: dict[type, str] = {}
        for name, member in vars(cls).items():
            for event_type in getattr(member, _MARK, ()):
                if own.get(event_type, name) != name:
                    raise TypeError(
                        f"{cls.__name__} handles {event_type.__name__} twice: "
                        f"{own[event_type]} and {name}"
                    )
                own[event_type] = name
        table.update(own)
        cls._handler_names = table

    def handle(self, event: object) -> None:
        """Call the handler declared for `event`'s type; an undeclared type is ignored."""
        name = self._handler_names.get(type(event))
        if name is not None:
            getattr(self, name)(event)


def events_of(view: EventView | type[EventView]) -> tuple[type, ...]:
    """The event types `view` (an instance or its class) declares handlers for."""
    return tuple(view._handler_names)


def handlers_of(view: EventView) -> dict[type, Callable[[Any], object]]:
    """Each declared event type with the bound method that handles it."""
    return {event_type: getattr(view, name) for event_type, name in view._handler_names.items()}
