"""The answers file Copier wrote (`.copier-answers.yml`): who the learner is, which project, and
which template version (`_commit`) from where (`_src_path`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ANSWERS_FILE = ".copier-answers.yml"


class AnswersError(Exception):
    """The answers file is missing or unusable; the message says why and what to do."""


@dataclass(frozen=True)
class Answers:
    data: dict  # everything in the file, as Copier wrote it

    @property
    def project(self) -> str:
        return str(self.data["project"])

    @property
    def package(self) -> str:
        return self.project.replace("-", "_")

    @property
    def version(self) -> str:
        """The template version this project was rendered from (a tag such as v1.2.0)."""
        return str(self.data.get("_commit", ""))

    @property
    def source(self) -> str:
        return str(self.data.get("_src_path", ""))

    @property
    def learner(self) -> dict[str, str]:
        return {
            "name": str(self.data.get("learner_name", "")),
            "github_handle": str(self.data.get("github_handle", "")),
            "cohort": str(self.data.get("cohort", "") or ""),
        }

    @property
    def questions(self) -> dict:
        """The learner's answers, without Copier's own `_` keys."""
        return {k: v for k, v in self.data.items() if not str(k).startswith("_")}


def read_answers(project_root: Path) -> Answers:
    path = Path(project_root) / ANSWERS_FILE
    restore = f"restore it from git (`git checkout HEAD -- {ANSWERS_FILE}`) or ask your facilitator"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnswersError(
            f"{ANSWERS_FILE} is missing, so the template version this project came from is "
            f"unknown; {restore}"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise AnswersError(
            f"{ANSWERS_FILE} is not valid YAML ({err}); {restore}"
        ) from None
    if not isinstance(data, dict) or not data.get("project"):
        raise AnswersError(f"{ANSWERS_FILE} does not name a project; {restore}")
    for key in ("_src_path", "_commit"):
        if not data.get(key):
            raise AnswersError(
                f"{ANSWERS_FILE} has no {key}: this project was not rendered from a versioned "
                f"(git, tagged) template; {restore}"
            )
    return Answers(data)
