"""E-mail notifications over SMTP (aiosmtplib): `adapters.email.notifier.EmailNotifier`."""
