"""The web surfaces: the coordinator's dashboard (sign-in by one-time link, pages,
downloads) and the participants' private calendar feed (calendar.py)."""
