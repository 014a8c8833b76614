"""Climb Templates: the kit's own code (rendering, verification, cohorts, showcase)."""
