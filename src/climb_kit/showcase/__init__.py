"""The showcase: verified intake of submission bundles (intake.py) and a static gallery (site.py)."""
