"""The coordinator's web dashboard: sign-in by one-time link, pages, downloads."""
