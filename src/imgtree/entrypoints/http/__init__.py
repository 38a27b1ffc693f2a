"""The HTTP entrypoint (Falcon): three API surfaces and the public pages."""
