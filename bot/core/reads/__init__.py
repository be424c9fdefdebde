"""Read models for surfaces (the web dashboard): named queries the engine offers."""
