"""The one fake of each outside service rollcall talks to, faked at the HTTP (or SMTP)
level on 127.0.0.1 — the real clients are pointed at them, never patched:

- slack: the Slack Web API (`FakeSlack`), and requests signed as Slack signs them
- discord: the Discord REST API and gateway (`FakeDiscord`); discord_gateway: the
  gateway payloads (guilds, members, voice states, interactions)
- zoom: the Zoom webhook sender (payloads, `post_signed`)
- smtp: a real SMTP server (aiosmtpd; fixtures `smtp_server`, `tls_smtp_server`)
- sms: a Twilio-compatible Messages API (`FakeSms`; fixture `twilio`)
- casts: the test casts, as rollcall.toml text (`config_text`)

The fixtures are made available to every test by tests/conftest.py.
"""
