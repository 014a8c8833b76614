"""A real-time chat server: WebSocket clients, rooms, and two servers joined by Redis.

Modules, in the order of the stages: `cli` (`python -m chat`, the server process), `protocol`
(the JSON frames of PROTOCOL.md), `server` (connections and sessions), `hub` (rooms, fan-out,
slow clients), `history` (durable room history) and `cluster` (Redis between servers).
"""
