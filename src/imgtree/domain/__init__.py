"""The imgtree domain: entities, ports and use cases. Pure Python + attrs; no I/O, no frameworks."""
