"""rollcall: attendance for virtual therapy groups."""
