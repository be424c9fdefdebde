"""zoom adapter."""
