"""Mini network scanner: which TCP ports of a host answer, and what speaks on them.

Modules, in the order of the stages: `spec` (port specs such as '22,80,8000-8100'),
`probe` (one connect: open, closed or filtered), `scan` (many probes at once, within
bounds), `service` (HTTP and banners), `report` (a table and JSON), `sysinfo` (the
machine's facts) and `cli` (`python -m portscan`).
"""
