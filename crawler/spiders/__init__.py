"""caiji's spiders: one per supported portal, and ``generic``."""
