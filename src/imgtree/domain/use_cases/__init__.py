"""Use cases: one module per verb. Each takes its ports in __init__ and returns domain results."""
