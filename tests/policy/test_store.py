"""PolicySet selection, and PolicyStore hot reload from files, directories and ConfigMaps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extproc.policy.load import PolicyError
from extproc.policy.model import Action, Direction
from extproc.policy.store import (
    PolicySet,
    PolicyStore,
    ReloadResult,
    UnknownPolicyError,
    load_policy_set,
    policy_files,
)
from tests.policy.resolved import action_for

REQ = Direction.REQUEST


def _policy(name: str, action: str = "redact", match: str = "") -> str:
    return (
        f"version: 1\nname: {name}\n{match}"
        f'rules:\n  - detectors: ["pii/email"]\n    request: {action}\n'
    )


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def _set(tmp_path: Path, files: dict[str, str]) -> PolicySet:
    return load_policy_set(str(_write(tmp_path / "p", files)))


OPENAI = 'match:\n  hosts: ["api.openai.com", "*.openai.azure.com"]\n'
V2 = 'match:\n  path_prefixes: ["/v2/"]\n'


def test_select(tmp_path: Path) -> None:
    policies = _set(
        tmp_path,
        {
            "a_openai.yaml": _policy("openai", match=OPENAI),
            "b_v2.yml": _policy("v2", match=V2),
            "c_default.yaml": _policy("default"),
            "d_audit.yaml": _policy("audit", "log"),
        },
    )
    assert policies.names == ("openai", "v2", "default", "audit")
    assert policies.default.name == "default"
    assert policies.select("api.openai.com", "/v1/chat").name == "openai"
    assert policies.select("API.OpenAI.com:443", "/v1/chat").name == "openai"
    assert policies.select("eu.openai.azure.com", "/").name == "openai"
    assert policies.select("openai.azure.com", "/").name == "default"
    assert policies.select("api.openai.com", "/v2/x").name == "openai"  # first match wins
    assert policies.select("localhost:8080", "/v2/x").name == "v2"
    assert policies.select("localhost", "/v1/x").name == "default"
    assert policies.select("api.openai.com", "/v1/", name="audit").name == "audit"
    assert policies.select("localhost", "/", name="").name == "default"
    with pytest.raises(UnknownPolicyError, match="no policy named 'nope'"):
        policies.select("localhost", "/", name="nope")


def test_host_glob_with_port(tmp_path: Path) -> None:
    match = 'match:\n  hosts: ["localhost:8080"]\n'
    policies = _set(tmp_path, {"a.yaml": _policy("local", match=match), "b.yaml": _policy("x")})
    assert policies.select("localhost:8080", "/").name == "local"
    assert policies.select("localhost", "/").name == "x"


@pytest.mark.parametrize(
    ("files", "default"),
    [
        ({"a.yaml": _policy("a", match=OPENAI), "b.yaml": _policy("b")}, "b"),
        ({"a.yaml": _policy("a", match=OPENAI)}, "a"),
        ({"a.yaml": _policy("a"), "b.yaml": _policy("default", match=OPENAI)}, "default"),
    ],
)
def test_default_choice(tmp_path: Path, files: dict[str, str], default: str) -> None:
    assert _set(tmp_path, files).default.name == default


def test_no_default_is_an_error(tmp_path: Path) -> None:
    directory = _write(tmp_path / "p", {"a.yaml": _policy("a"), "b.yaml": _policy("b")})
    with pytest.raises(PolicyError) as caught:
        load_policy_set(str(directory))
    assert caught.value.errors == (
        f"{directory}: no default policy: name one 'default', or leave 'match' out of exactly "
        "one (policies without match: a, b)",
    )


def test_every_bad_file_is_reported_then_set_checks_run(tmp_path: Path) -> None:
    directory = _write(
        tmp_path / "p",
        {
            "a.yaml": _policy("same"),
            "b.yaml": _policy("same"),
            "c.yaml": "version: [\n",
            "d.yaml": _policy("d", "blok"),
        },
    )
    with pytest.raises(PolicyError) as caught:
        load_policy_set(str(directory))
    assert caught.value.errors == (
        f"{directory / 'c.yaml'}:2: YAML syntax error: while parsing a flow node, expected the "
        "node content, but found '<stream end>'",
        f"{directory / 'd.yaml'}:5: rules[0].request: unknown action 'blok' (expected one of: "
        "block, redact, mask, hash, log, off, pseudonymize)",
    )
    (directory / "c.yaml").unlink()
    (directory / "d.yaml").unlink()
    with pytest.raises(PolicyError) as caught:
        load_policy_set(str(directory))
    assert caught.value.errors == (
        f"{directory / 'b.yaml'}:2: name: policy name 'same' is already used in "
        f"{directory / 'a.yaml'}",
    )


def test_directory_listing_skips_hidden_other_and_nested(tmp_path: Path) -> None:
    directory = _write(
        tmp_path / "p",
        {"b.yml": "", "a.yaml": "", ".hidden.yaml": "", "notes.txt": "", "c.yaml.bak": ""},
    )
    (directory / "nested.yaml").mkdir()
    assert policy_files(str(directory)) == [str(directory / "a.yaml"), str(directory / "b.yml")]
    assert policy_files(str(directory / "a.yaml")) == [str(directory / "a.yaml")]


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        PolicyStore(str(tmp_path))
    assert caught.value.errors == (f"{tmp_path}: no policy files (*.yaml, *.yml)",)


def test_store_reloads_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(_policy("default", "redact"))
    store = PolicyStore(str(path))
    first = store.current()
    assert action_for(first.default, "pii/email", REQ) is Action.REDACT
    assert store.reload_if_changed() is None
    os.utime(path)  # touched, same content: nothing to do
    assert store.reload_if_changed() is None

    path.write_text(_policy("default", "block"))
    result = store.reload_if_changed()
    assert result == ReloadResult(ok=True, policies=("default",))
    assert action_for(store.current().default, "pii/email", REQ) is Action.BLOCK
    # A snapshot taken before the swap keeps serving its stream unchanged.
    assert action_for(first.default, "pii/email", REQ) is Action.REDACT


def test_store_keeps_last_good_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(_policy("default", "redact"))
    store = PolicyStore(str(path))
    good = store.current()

    path.write_text("version: 1\nname: default\nrules: [\x00garbage")
    result = store.reload_if_changed()
    assert result is not None
    assert not result.ok
    assert result.errors == (
        f"{path}:3: YAML syntax error: unacceptable character #x0000: special characters are "
        "not allowed",
    )
    assert store.current() is good
    assert store.reload_if_changed() is None  # the same failure is reported once

    path.write_text(_policy("default", "blok"))
    result = store.reload_if_changed()
    assert result is not None and not result.ok
    assert store.current() is good

    path.unlink()
    result = store.reload_if_changed()
    assert result == ReloadResult(
        ok=False, errors=(f"{path}: cannot read: No such file or directory",)
    )
    assert store.current() is good

    path.write_text(_policy("default", "mask"))
    result = store.reload_if_changed()
    assert result is not None and result.ok
    assert action_for(store.current().default, "pii/email", REQ) is Action.MASK


def test_store_sees_added_and_removed_files(tmp_path: Path) -> None:
    directory = _write(tmp_path / "p", {"default.yaml": _policy("default")})
    store = PolicyStore(str(directory))
    assert store.current().names == ("default",)
    (directory / "openai.yaml").write_text(_policy("openai", match=OPENAI))
    result = store.reload_if_changed()
    assert result is not None and result.policies == ("default", "openai")
    assert store.current().select("api.openai.com", "/").name == "openai"
    (directory / "openai.yaml").unlink()
    assert store.reload_if_changed() == ReloadResult(ok=True, policies=("default",))


def test_store_initial_failure_raises(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(_policy("default", "blok"))
    with pytest.raises(PolicyError):
        PolicyStore(str(path))


def _configmap_version(root: Path, version: str, files: dict[str, str]) -> None:
    """What the kubelet does: write a new hidden dir, then swap ``..data`` atomically."""
    _write(root / version, files)
    tmp = root / "..data_tmp"
    tmp.symlink_to(version)
    os.replace(tmp, root / "..data")
    for name in files:
        link = root / name
        if not link.is_symlink():
            link.symlink_to(Path("..data") / name)


def test_store_reloads_a_swapped_configmap(tmp_path: Path) -> None:
    root = tmp_path / "configmap"
    root.mkdir()
    _configmap_version(root, "..2024_01_01_00_00_00.1", {"default.yaml": _policy("default")})
    store = PolicyStore(str(root))
    assert store.current().names == ("default",)
    assert action_for(store.current().default, "pii/email", REQ) is Action.REDACT
    assert store.reload_if_changed() is None

    _configmap_version(
        root, "..2024_01_01_00_01_00.2", {"default.yaml": _policy("default", "block")}
    )
    result = store.reload_if_changed()
    assert result is not None and result.ok
    assert store.current().names == ("default",)
    assert action_for(store.current().default, "pii/email", REQ) is Action.BLOCK
