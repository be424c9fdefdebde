"""Meeting platforms' participant reports, read into core types (`rollcall import`).

Pure parsers, one module per platform (zoom, teams, meet), and `translate.parse_report`
that picks one (or sniffs the format) and returns a `bot.core.events.PlatformReport`.
A malformed file is refused whole with a `ReportError` naming the line and the reason.
"""
