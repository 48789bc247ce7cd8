"""Alerts: in-app (`inbox`: the bell and the Alerts page), and the outside channels each saved
search chooses (`delivery`: the email `digest`, Apprise URLs and `webpush`), each retried with
backoff on its own."""

__all__ = ["delivery", "digest", "inbox", "webpush"]
