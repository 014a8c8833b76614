"""The learner-side runtime, rendered verbatim into every project as the `climb` package.

Kit code imports it as `climb_kit.learner`; a learner project imports it as `climb`. Modules here use
relative imports only and need nothing beyond the learner project's own dependencies.
"""
