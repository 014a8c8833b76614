"""Stage 1 (spec): turn a port spec such as '22,80,8000-8100' into a sorted list of ports."""

MIN_PORT, MAX_PORT = 1, 65535


class PortSpecError(ValueError):
    """A malformed port spec; str(err) says which part and why."""


def parse_ports(spec: str) -> list[int]:
    """'80,443,8000-8100' -> sorted unique ports. Parts are separated by commas; spaces around
    parts are allowed; a part is a port or an inclusive range 'a-b' with a <= b. Empty spec, empty
    part, non-numeric, out of range (1..65535) and reversed ranges raise PortSpecError naming the
    part, e.g. "'8100-8000': the range is reversed (start > end)"."""
    raise NotImplementedError(
        "Stage 1 (spec): split the spec on commas, read each port or range, check each"
    )
