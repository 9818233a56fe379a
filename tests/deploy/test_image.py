"""The Dockerfile, checked statically (no Docker here): a pinned slim base, two stages,
a numeric non-root user, the server as entrypoint, and the image the manifests run."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field

from tests.deploy.manifests import ISTIO_DIR, ROOT, load_docs, manifests, one

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, instruction: str) -> list[str]:
        return [a for i, a in self.instructions if i == instruction]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in self.args("ENV"):
            for token in shlex.split(line):
                key, _, value = token.partition("=")
                values[key] = value
        return values


def parse_dockerfile() -> tuple[dict[str, str], list[Stage]]:
    """(ARG defaults before the first FROM, stages) with ARGs substituted into FROM."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in joined.splitlines():
        if not line.strip():
            continue
        instruction, _, rest = line.strip().partition(" ")
        instruction, rest = instruction.upper(), rest.strip()
        if instruction == "ARG" and not stages:
            name, _, default = rest.partition("=")
            global_args[name] = default
        elif instruction == "FROM":
            image, *alias = rest.split()
            for name, value in global_args.items():
                image = image.replace("${" + name + "}", value).replace("$" + name, value)
            stages.append(Stage(image, alias[1] if alias[:1] == ["AS"] else None))
        else:
            stages[-1].instructions.append((instruction, rest))
    return global_args, stages


ARGS, STAGES = parse_dockerfile()
FINAL = STAGES[-1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_base_images_are_pinned_slim_python() -> None:
    assert len(STAGES) >= 2, "build in one stage, run from a clean one"
    for stage in STAGES:
        assert "$" not in stage.image, f"unresolved ARG in FROM {stage.image}"
        repository, _, tag = stage.image.partition(":")
        assert repository == "python"
        # A full version (3.12.11), never `latest` or a moving `3` / `3.12`.
        assert re.fullmatch(r"\d+\.\d+\.\d+-slim(-\w+)?", tag), stage.image


def test_final_stage_has_no_build_tools() -> None:
    for run in FINAL.args("RUN"):
        assert not re.search(r"apt-get|apk |pip install|gcc|build-essential", run), run
    sources = [a.split() for a in FINAL.args("COPY")]
    for copy in sources:
        if copy[0].startswith("--from="):
            # Only the installed virtualenv comes over from the build stage.
            assert copy[1:] == ["/opt/extproc", "/opt/extproc"], copy
    build = STAGES[0]
    assert any("pip install ." in run for run in build.args("RUN"))


def test_runs_as_numeric_non_root_user() -> None:
    (user,) = FINAL.args("USER")
    uid, _, gid = user.partition(":")
    # Numeric: with a name, Kubernetes cannot check runAsNonRoot and refuses to start.
    assert uid.isdigit() and int(uid) > 0 and (not gid or gid.isdigit())
    pod = one(manifests(), "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(uid)


def test_entrypoint_serves_on_the_documented_port() -> None:
    (entrypoint,) = FINAL.args("ENTRYPOINT")
    assert json.loads(entrypoint) == ["extproc", "serve"], "exec form, so SIGTERM reaches it"
    assert FINAL.args("EXPOSE") == ["50051"]
    env = FINAL.env()
    assert env["EXTPROC_LISTEN"] == "0.0.0.0:50051"
    assert env["EXTPROC_POLICY"] == "/etc/extproc/policies"
    container = one(manifests(), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    deployment_env = {e["name"]: e["value"] for e in container["env"]}
    for key in ("EXTPROC_LISTEN", "EXTPROC_POLICY"):
        assert deployment_env.get(key, env[key]) == env[key], key


def test_deployment_runs_the_image_the_dockerfile_builds() -> None:
    labels = " ".join(FINAL.args("LABEL"))
    (title,) = re.findall(r'org\.opencontainers\.image\.title="?([\w.-]+)"?', labels)
    assert title == PROJECT["name"]
    container = one(manifests(), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    name, _, tag = container["image"].rpartition(":")
    assert (name, tag) == (title, PROJECT["version"])
    (kustomization,) = load_docs(ISTIO_DIR / "kustomization.yaml")
    (image,) = kustomization["images"]
    assert image["name"] == title and image["newTag"] == PROJECT["version"]


def test_dockerignore_sends_only_what_is_copied() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "start from nothing, then allow what the build copies"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    copied = {
        source.rstrip("/")
        for stage in STAGES
        for copy in stage.args("COPY")
        if not copy.startswith("--from=")
        for source in copy.split()[:-1]
    }
    assert copied == allowed
    assert not allowed & {".venv", ".git", "tests"}
