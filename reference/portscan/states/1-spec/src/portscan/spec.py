"""Stage 1 (spec): turn a port spec such as '22,80,8000-8100' into a sorted list of ports."""

MIN_PORT, MAX_PORT = 1, 65535


class PortSpecError(ValueError):
    """A malformed port spec; str(err) says which part and why."""


def parse_ports(spec: str) -> list[int]:
    """'80,443,8000-8100' -> sorted unique ports. Parts are separated by commas; spaces around
    parts are allowed; a part is a port or an inclusive range 'a-b' with a <= b. Empty spec, empty
    part, non-numeric, out of range (1..65535) and reversed ranges raise PortSpecError naming the
    part, e.g. "'8100-8000': the range is reversed (start > end)"."""
    if not spec.strip():
        raise PortSpecError(
            f"{spec!r}: the port spec is empty (give ports like '22,80,8000-8100')"
        )
    ports: set[int] = set()
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            raise PortSpecError(
                f"{spec!r}: an empty part (two commas in a row, or a comma at an end)"
            )
        ends = part.split("-")
        if len(ends) > 2:
            raise PortSpecError(f"{part!r}: a range has exactly one '-' (start-end)")
        numbers = []
        for end in ends:
            end = end.strip()
            if not end:
                raise PortSpecError(
                    f"{part!r}: a range needs a number on each side of '-'"
                )
            # isdigit() alone lets through digits of other scripts; int() takes "+80".
            if not (end.isascii() and end.isdigit()):
                raise PortSpecError(f"{part!r}: {end!r} is not a port number")
            number = int(end)
            if not MIN_PORT <= number <= MAX_PORT:
                raise PortSpecError(
                    f"{part!r}: {number} is outside {MIN_PORT}..{MAX_PORT}"
                )
            numbers.append(number)
        start, stop = numbers[0], numbers[-1]
        if start > stop:
            raise PortSpecError(f"{part!r}: the range is reversed (start > end)")
        ports.update(range(start, stop + 1))
    return sorted(ports)
