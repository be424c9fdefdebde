"""SMS notifications through a Twilio-compatible REST API: `adapters.sms.notifier.SmsNotifier`."""
