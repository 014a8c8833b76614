"""A concurrent data processor: sensors in, aggregates and windows out.

Modules, in the order of the stages: `sensors` (simulated sensors and a TCP line source),
`pipeline` (parse, validate, aggregate), `flow` (bounded queues), `parallel` (workers
partitioned by key), `windows` (event-time windows and late data), `cli` (`python -m
dataproc`) and `scaling` (the scaling report).
"""
