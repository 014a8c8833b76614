"""A roster is checked completely before anything is made: every bad row, with its line number."""

from __future__ import annotations

import pytest

from climb_kit.cohort.roster import Learner, RosterError, parse_roster, read_roster
from climb_kit.layout import KitError
from climb_kit.render import render


def problems_of(text: str) -> list[str]:
    with pytest.raises(RosterError) as raised:
        parse_roster(text)
    return raised.value.problems


def test_a_good_roster_gives_every_learner_with_their_answers():
    learners = parse_roster(
        "name,github_handle,email,cohort\n"
        'Ada Lovelace,ada,ada@example.org,spring\n"Hopper, Grace",grace-h,,\n\n'
        "Zoë Ñúñez,zoe99,,\n"
    )
    assert learners == [
        Learner(2, "Ada Lovelace", "ada", "ada@example.org", "spring"),
        Learner(3, "Hopper, Grace", "grace-h", "", ""),
        Learner(5, "Zoë Ñúñez", "zoe99", "", ""),
    ]
    assert learners[0].answers() == {
        "learner_name": "Ada Lovelace",
        "github_handle": "ada",
        "cohort": "spring",
    }
    assert "cohort" not in learners[1].answers()


def test_handle_is_accepted_as_a_column_name_and_columns_may_come_in_any_order():
    assert parse_roster("handle,name\nada,Ada\n") == [Learner(2, "Ada", "ada")]


MALFORMED = {
    "missing name": (
        "name,github_handle\n,ada\n",
        ["line 2: missing name"],
    ),
    "missing handle": (
        "name,github_handle\nAda,\n",
        ["line 2: missing github_handle"],
    ),
    "short row": (
        "name,github_handle,cohort\nAda\n",
        ["line 2: missing github_handle"],
    ),
    "too many fields (unquoted comma in a name)": (
        "name,github_handle\nLovelace, Ada,ada\n",
        ["line 2: 3 fields but the header has 2 columns"],
    ),
    "handle with an @": (
        "name,github_handle\nAda,@ada\n",
        ["line 2: GitHub handle '@ada': leave out the '@'"],
    ),
    "handle with an underscore": (
        "name,github_handle\nAda,ada_l\n",
        ["line 2: GitHub handle 'ada_l' may hold only ASCII letters"],
    ),
    "handle ending in a hyphen": (
        "name,github_handle\nAda,ada-\n",
        ["line 2: GitHub handle 'ada-' cannot begin or end with a hyphen"],
    ),
    "handle with two hyphens": (
        "name,github_handle\nAda,a--da\n",
        ["line 2: GitHub handle 'a--da' cannot contain two hyphens in a row"],
    ),
    "handle too long": (
        f"name,github_handle\nAda,{'a' * 40}\n",
        ["line 2: GitHub handle", "has 40 characters; at most 39"],
    ),
    "duplicate handle, differing in case": (
        "name,github_handle\nAda,ada\nGrace,grace\nAda Again,ADA\n",
        ["line 4: duplicate GitHub handle 'ADA' (first on line 2)"],
    ),
    "byte-order mark": (
        "\ufeffname,github_handle\nAda,ada\n",
        ["line 1: the file starts with a byte-order mark"],
    ),
    "stray whitespace": (
        "name,github_handle\nAda , ada\n",
        [
            "line 2: stray whitespace around name 'Ada '",
            "line 2: stray whitespace around github_handle ' ada'",
        ],
    ),
    "semicolons instead of commas": (
        "name;github_handle\nAda;ada\n",
        ["line 1: no commas in the header; the columns seem separated by semicolons"],
    ),
    "tabs instead of commas": (
        "name\tgithub_handle\nAda\tada\n",
        ["the columns seem separated by tabs"],
    ),
    "unknown column": (
        "name,github_handle,team\nAda,ada,x\n",
        ["line 1: unknown column 'team'"],
    ),
    "no handle column": (
        "name,email\nAda,ada@example.org\n",
        ["line 1: the header has no 'github_handle' column"],
    ),
    "bad email": (
        "name,github_handle,email\nAda,ada,ada-at-example\n",
        ["line 2: 'ada-at-example' is not an email address"],
    ),
    "header only": (
        "name,github_handle\n",
        ["the roster has a header but no learners"],
    ),
    "empty file": ("", ["the roster is empty"]),
    "unterminated quote": (
        'name,github_handle\n"Ada,ada\n',
        ["not valid CSV"],
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_roster_is_reported_with_line_and_reason(case):
    text, expected = MALFORMED[case]
    problems = problems_of(text)
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (
            f"{case}: expected a problem containing {fragment!r}; got {problems}"
        )


def test_every_bad_row_is_reported_at_once_not_just_the_first():
    problems = problems_of(
        "name,github_handle\nAda,ada\n,bob\nCarol,car_ol\nDan,ada\nEve,eve\n"
    )
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5"]


def test_a_roster_that_is_not_utf8_is_one_clear_problem(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes("name,github_handle\nZoë,zoe\n".encode("latin-1"))
    with pytest.raises(RosterError, match="not UTF-8 text"):
        read_roster(roster)


@pytest.mark.parametrize(
    "handle", ["ada", "a-b-c", "A1", "x" * 39, "@ada", "a_b", "-ab", "a--b", "x" * 40]
)
def test_roster_handle_rules_agree_with_copiers_validator(handle, kit_source, tmp_path):
    """A roster that passes renders for every learner, and one Copier would refuse does not pass."""
    try:
        parse_roster(f"name,github_handle\nAda,{handle}\n")
        roster_ok = True
    except RosterError:
        roster_ok = False
    try:
        render(kit_source, tmp_path / "out", "scheduler", {"github_handle": handle})
        copier_ok = True
    except KitError:
        copier_ok = False
    assert roster_ok == copier_ok, f"{handle!r}: roster {roster_ok}, copier {copier_ok}"
