"""Facilitators' cohorts: create learner repositories from a roster, grade them, update, collect."""
