"""The job tracker: jobs a person saves (from the results, or a posting the browser extension
read) and moves through saved → applied → interviewing → offer → rejected / withdrawn.

  inputs     what clients send, checked field by field (TrackedJobCreate, TrackedJobUpdate, TrackedJobSync)
  urls       one job, one address: posting URLs normalised, so saving the same URL twice is one job
  items      save, look up, list, change, delete (soft: tombstones for syncing devices), the public shape
  sync       changes since a moment, and a client's items applied last-writer-wins by updated_at
  reminders  follow-up dates that have come: due_reminders / mark_reminded, sent by the alerts worker
  export     the tracker as CSV, XLSX or JSON, counted against the day's exports
"""

from jobspy_web.tracker import export, inputs, items, reminders, sync, urls
from jobspy_web.tracker.errors import TrackerError, TrackerErrorCode
from jobspy_web.tracker.reminders import DueReminder, due_reminders, mark_reminded

__all__ = [
    "DueReminder",
    "TrackerError",
    "TrackerErrorCode",
    "due_reminders",
    "export",
    "inputs",
    "items",
    "mark_reminded",
    "reminders",
    "sync",
    "urls",
]
