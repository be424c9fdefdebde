"""discord adapter."""
