"""Searching job boards: what may be asked (`params`), running a search across sites and
reporting progress (`runner`), reading it back for the search API's pollers (`polls`), one
site's scrape in its own process (`scraping`, watched from inside by `probe`), what a site's
part came to (`outcomes`), storing, deduping, filtering and exporting jobs (`jobs`), exports
counted against the tier (`exports`), and how each board has been doing (`board_health`,
`proxy_pool`).

`scraping` and `probe` need only JobSpy: the desktop client runs them on the person's machine."""

__all__ = ["board_health", "exports", "jobs", "outcomes", "params", "polls", "probe", "proxy_pool", "runner", "scraping"]
