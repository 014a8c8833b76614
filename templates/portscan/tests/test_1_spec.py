"""Stage 1 (spec): parse port specs such as '22,80,8000-8100'."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portscan.spec import MAX_PORT, MIN_PORT, PortSpecError, parse_ports
from tests.teaching import got_vs_expected, raises

pytestmark = pytest.mark.stage("spec")


def check_parse(spec: str, expected: list[int], rule: str = "") -> None:
    got = parse_ports(spec)
    if got != expected:
        pytest.fail(
            got_vs_expected(
                f"parse_ports({spec!r})", short(got), short(expected), rule
            ),
            pytrace=False,
        )


def short(ports: object) -> str:
    """A list of ports, shortened when long: [1, 2, 3, ... 65535] (65535 ports)."""
    if not isinstance(ports, list) or len(ports) <= 12:
        return repr(ports)
    head = ", ".join(map(str, ports[:6]))
    tail = ", ".join(map(str, ports[-3:]))
    return f"[{head}, ... {tail}] ({len(ports)} ports)"


# --- valid specs ----------------------------------------------------------------------


def test_a_single_port():
    check_parse("80", [80])


def test_a_list_comes_back_sorted():
    check_parse("443,22,80", [22, 80, 443], "the ports come back sorted")


def test_a_range_includes_both_ends():
    check_parse("8000-8003", [8000, 8001, 8002, 8003], "'a-b' includes a and b")


def test_a_range_of_one_port():
    check_parse("25-25", [25], "'a-a' is the single port a")


def test_ranges_and_ports_mixed_and_deduplicated():
    check_parse(
        "8002-8004,22,8000-8003,22,8003",
        [22, 8000, 8001, 8002, 8003, 8004],
        "every port appears once, however often the spec names it",
    )


def test_spaces_around_parts_are_allowed():
    check_parse(" 22 , 80-81 ,443 ", [22, 80, 81, 443])


def test_the_smallest_and_largest_ports():
    check_parse(f"{MIN_PORT}", [1])
    check_parse(f"{MAX_PORT}", [65535])
    check_parse("65530-65535", [65530, 65531, 65532, 65533, 65534, 65535])


def test_every_port():
    check_parse("1-65535", list(range(1, 65536)), "ports go from 1 to 65535")


# --- invalid specs --------------------------------------------------------------------


def spec_error(spec: str, why: str) -> PortSpecError:
    """The error parse_ports(spec) raises; first proves that a good spec parses (so that a
    parser which rejects everything cannot pass the error tests)."""
    check_parse("80,8000-8001", [80, 8000, 8001])
    return raises(
        PortSpecError, f"parse_ports({spec!r})", lambda: parse_ports(spec), why
    )


def check_names(spec: str, err: PortSpecError, part: str) -> None:
    text = str(err)
    assert f"'{part}'" in text or f'"{part}"' in text, (
        f"parse_ports({spec!r}) raised PortSpecError({text!r})\n"
        f"  expected: a message that quotes the offending part '{part}' and says what is "
        f"wrong with it, e.g. \"'8100-8000': the range is reversed (start > end)\""
    )


BAD_PARTS = [
    # (spec, the part its error must name, why it is wrong)
    ("http", "http", "a port is a number"),
    ("80,8o", "8o", "a port is a number"),
    ("22, 8 0", "8 0", "a port is a number (no spaces inside)"),
    ("0", "0", "ports start at 1"),
    ("65536", "65536", "ports end at 65535"),
    ("22,70000-70001", "70000-70001", "ports end at 65535"),
    ("0-80", "0-80", "ports start at 1"),
    ("-5", "-5", "no negative ports; a range needs a start"),
    ("80-", "80-", "a range needs an end"),
    ("8100-8000", "8100-8000", "a range goes from low to high"),
    ("1-2-3", "1-2-3", "a range has one start and one end"),
    ("a-b-c", "a-b-c", "a range has one start and one end"),
    ("80-http", "80-http", "both ends of a range are numbers"),
]


@pytest.mark.parametrize(
    ("spec", "part", "why"), BAD_PARTS, ids=[spec for spec, _, _ in BAD_PARTS]
)
def test_a_bad_part_is_named_in_the_error(spec, part, why):
    err = spec_error(spec, why)
    check_names(spec, err, part)


@pytest.mark.parametrize(
    "spec",
    ["", "   ", "80,,81", "80,", ",80", "22, ,80"],
    ids=[
        "empty",
        "only-spaces",
        "double-comma",
        "trailing-comma",
        "leading-comma",
        "blank-part",
    ],
)
def test_an_empty_spec_or_empty_part_is_an_error(spec):
    err = spec_error(spec, "an empty spec or an empty part between commas")
    assert "empty" in str(err).lower(), (
        f"parse_ports({spec!r}) raised PortSpecError({str(err)!r})\n"
        "  expected: a message that says the spec or one of its parts is empty"
    )


# --- any set of ranges ----------------------------------------------------------------

ports = st.integers(MIN_PORT, MAX_PORT)
ranges = st.tuples(ports, st.integers(0, 300)).map(
    lambda r: (r[0], min(r[0] + r[1], MAX_PORT))
)
spaces = st.sampled_from(["", " ", "  "])


@st.composite
def specs(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """A spec of 1..8 random ports and ranges (some overlapping), and those ranges."""
    chosen = draw(st.lists(ranges, min_size=1, max_size=8))
    parts = []
    for start, end in chosen:
        text = str(start) if start == end and draw(st.booleans()) else f"{start}-{end}"
        parts.append(draw(spaces) + text + draw(spaces))
    return ",".join(parts), chosen


@given(specs())
def test_any_spec_gives_the_sorted_union_of_its_ranges(spec_and_ranges):
    spec, chosen = spec_and_ranges
    expected = sorted({p for start, end in chosen for p in range(start, end + 1)})
    check_parse(spec, expected, "the union of every part, each port once, sorted")
