"""HTML5 drag and drop for a mouse: a div that can be dragged, and a div that takes a drop.

Reflex's elements don't expose the drag events, so these name them. A drop zone must cancel
`dragover` or the browser refuses the drop; that runs in the browser (prevent_default), with
no round trip per mouse move. Touch screens don't fire these events: pages give the same
action another way (the tracker's stage select and move buttons).
"""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec
from reflex_components_core.el.elements.typography import Div


class DragDiv(Div):
    """A div with the drag-and-drop events: on_drag_start, on_drag_end, on_drag_over, on_drop."""

    on_drag_start: rx.EventHandler[no_args_event_spec]
    on_drag_end: rx.EventHandler[no_args_event_spec]
    on_drag_over: rx.EventHandler[no_args_event_spec]
    on_drag_enter: rx.EventHandler[no_args_event_spec]
    on_drop: rx.EventHandler[no_args_event_spec]


def draggable(*children: rx.Component, on_drag_start: rx.EventSpec, **props) -> rx.Component:
    return DragDiv.create(*children, draggable=True, on_drag_start=on_drag_start, **props)


def drop_zone(*children: rx.Component, on_drop: rx.EventSpec, **props) -> rx.Component:
    return DragDiv.create(*children, on_drag_over=rx.prevent_default, on_drop=on_drop.prevent_default, **props)
