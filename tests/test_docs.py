"""Docs that cannot drift: every link and image in README.md and docs/*.md resolves, every
``naslib-oe ...`` command line in them parses with the CLI's own parser, every ``--config``
file they name exists, every setting is in the configs reference, and the README stays a
front door (at most 12 KB)."""
from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

import pytest

from naslib_oe.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
#: verbs whose arguments NASLib's runner parses (KEY VALUE pairs), not our parser
NASLIB_VERBS = ("naslib-run", "naslib-predictors")


def _anchor(heading: str) -> str:
    """GitHub's anchor of a markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", page.read_text(), re.M)}


def _links() -> list[tuple[Path, str]]:
    return [(page, target) for page in PAGES for target in LINK.findall(page.read_text())
            if not re.match(r"[a-z]+:", target)]


def _code_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of each fenced block, fences paired in order."""
    blocks, language, body = [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if language is None:
                language, body = line[3:].strip(), []
            else:
                blocks.append((language, "\n".join(body)))
                language = None
        elif language is not None:
            body.append(line)
    return blocks


def _command_lines() -> list[tuple[Path, str]]:
    """``naslib-oe ...`` lines of the pages' shell blocks, with continuation lines joined and comments cut."""
    found = []
    for page in PAGES:
        for language, block in _code_blocks(page.read_text()):
            if language not in ("", "bash", "sh"):
                continue
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split(" #")[0].strip()
                for part in re.split(r"&&|;", line):
                    part = part.strip()
                    if part.startswith("naslib-oe "):
                        found.append((page, part))
    return found


@pytest.mark.parametrize("page, target", _links(), ids=lambda v: str(v)[-60:] if isinstance(v, str) else v.name)
def test_every_relative_link_and_image_resolves(page, target):
    path, _, anchor = target.partition("#")
    file = (page.parent / path).resolve() if path else page
    assert file.exists(), f"{page.name}: {target} does not exist"
    if anchor and file.suffix == ".md":
        assert anchor in _anchors(file), f"{page.name}: no heading #{anchor} in {file.name}"


def test_the_pages_hold_commands_and_links():
    assert len(_command_lines()) >= 30 and len(_links()) >= 20  # the checks below are not vacuous


@pytest.mark.parametrize("page, line", _command_lines(), ids=lambda v: v[:70] if isinstance(v, str) else v.name)
def test_every_documented_command_parses_and_names_existing_configs(page, line):
    argv = shlex.split(line)[1:]
    for flag, value in zip(argv, argv[1:]):
        if flag == "--config":
            assert (REPO / value).is_file(), f"{page.name}: {value} does not exist"
    if argv[0] in NASLIB_VERBS:
        return  # KEY VALUE pairs for NASLib's runner; its --config is checked above
    try:
        build_parser().parse_args(argv)
    except SystemExit as stop:
        if stop.code:
            pytest.fail(f"{page.name}: `{line}` does not parse with naslib-oe's parser")


def test_every_setting_is_in_the_configs_reference():
    from naslib_oe.bo import BOSettings
    from naslib_oe.bo.finetune import FinetuneSettings
    from naslib_oe.bo.surrogate import GPSettings
    from naslib_oe.config import EvalSettings, OESettings
    from naslib_oe.models import VAEConfig
    from naslib_oe.training import TrainConfig

    text = (REPO / "docs" / "configs.md").read_text()
    sections = {"": OESettings, "model.": VAEConfig, "train.": TrainConfig, "eval.": EvalSettings, "bo.": BOSettings,
                "bo.gp.": GPSettings, "bo.finetune.": FinetuneSettings}
    missing = [f"search.oe_dvae.{prefix}{f.name}" for prefix, cls in sections.items() for f in dataclasses.fields(cls)
               if f"`search.oe_dvae.{prefix}{f.name}`" not in text]
    assert not missing, f"docs/configs.md lacks {missing}"


def test_the_readme_is_a_front_door():
    text = (REPO / "README.md").read_text()
    assert len(text.encode()) <= 12 * 1024
    quickstart = re.search(r"## Quickstart.*?```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert len(quickstart) == 2 and "examples/run_enas.py" in quickstart[0]
    ci = (REPO / ".ci" / "run").read_text()
    assert quickstart[1].split("&&")[0].strip() in ci and "python -m pytest" in ci  # .ci/run runs that command
