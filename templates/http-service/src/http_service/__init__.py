"""A link shortener with API keys: a small HTTP service, tested from the outside.

Modules, in the order of the stages: `cli` (`python -m http_service`, the server process),
`app` (the routes), `errors` (the one error format), `validation` (reading JSON bodies),
`store` (SQLite), `auth` (API keys), `limits` (hostile input) and `metrics` (Prometheus).
The contract every stage is tested against is `openapi.yaml` at the project's root.
"""
