"""Mini OS scheduler emulator: turn a workload into a timeline, and judge the timeline.

Modules, in the order of the stages: `workload` (jobs from CSV/JSON), `metrics`
(timelines and their metrics), the policies `fcfs`, `sjf` (sjf and stcf), `rr`,
`priority` and `mlfq`, then `gantt` (a timeline as text) and `cli` (`python -m
scheduler`).
"""
