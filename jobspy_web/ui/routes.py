"""Every page's path, in one place."""

SEARCH = "/"
HISTORY = "/history"
