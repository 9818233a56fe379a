"""Several policies from a file or a directory, which one serves a request, and hot reload.

Selection (``PolicySet.select``): an explicit name (per-route metadata) wins;
then the first policy, in file-name order, whose ``match`` fits host and
path; then the default policy. The default is the policy named ``default``;
failing that, the only policy without ``match``; failing that, the only
policy. Any other set has no default and fails to load.

A directory contributes its ``*.yaml``/``*.yml`` entries (not sub-directories,
not hidden entries such as a ConfigMap's ``..data``); symlinks are followed,
so a Kubernetes ConfigMap swap is seen like any other edit.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from extproc.detect.recognizers import ModelPass
from extproc.policy.compile import CompiledPolicy, compile_policy
from extproc.policy.load import PolicyError, parse_policy

SUFFIXES = (".yaml", ".yml")
DEFAULT_NAME = "default"


class UnknownPolicyError(LookupError):
    """``select`` was asked for a policy name the set does not hold."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no policy named '{name}'")


@dataclass(frozen=True, eq=False, slots=True)
class PolicySet:
    """Compiled policies in file-name order, and the one that serves when nothing else fits."""

    policies: tuple[CompiledPolicy, ...]
    default: CompiledPolicy

    def get(self, name: str) -> CompiledPolicy | None:
        return next((p for p in self.policies if p.name == name), None)

    def select(self, host: str, path: str, name: str | None = None) -> CompiledPolicy:
        """The policy for one request; raises ``UnknownPolicyError`` for an unknown ``name``."""
        if name:
            chosen = self.get(name)
            if chosen is None:
                raise UnknownPolicyError(name)
            return chosen
        for policy in self.policies:
            if policy.match is not None and policy.match.fits(host, path):
                return policy
        return self.default

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.policies)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for p in self.policies for w in p.warnings)


def build_policy_set(policies: Sequence[CompiledPolicy], where: str) -> PolicySet:
    """Check names are unique and a default exists; ``where`` names the source in errors."""
    errors = []
    first: dict[str, CompiledPolicy] = {}
    for policy in policies:
        if policy.name in first:
            errors.append(
                policy.parsed.at(
                    "name",
                    f"policy name '{policy.name}' is already used in {first[policy.name].source}",
                )
            )
        else:
            first[policy.name] = policy
    unique = list(first.values())
    unmatched = [p for p in unique if p.match is None]
    if DEFAULT_NAME in first:
        default = first[DEFAULT_NAME]
    elif len(unmatched) == 1:
        default = unmatched[0]
    elif len(unique) == 1:
        default = unique[0]
    else:
        without = ", ".join(p.name for p in unmatched) or "none"
        errors.append(
            f"{where}: no default policy: name one '{DEFAULT_NAME}', or leave 'match' out of "
            f"exactly one (policies without match: {without})"
        )
    if errors:
        raise PolicyError(errors)
    return PolicySet(tuple(policies), default)


def policy_files(path: str) -> list[str]:
    """``path`` itself, or a directory's non-hidden ``*.yaml``/``*.yml`` files, sorted."""
    if not os.path.isdir(path):
        return [path]
    names = sorted(n for n in os.listdir(path) if not n.startswith(".") and n.endswith(SUFFIXES))
    return [os.path.join(path, n) for n in names if os.path.isfile(os.path.join(path, n))]


def load_policy_set(path: str) -> PolicySet:
    """Load every policy at ``path``; raises ``PolicyError`` listing all problems."""
    _, files, errors = _read(path)
    return _build(path, files, errors)


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload attempt did. ``ok=False``: the previous set is still serving."""

    ok: bool
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()


class PolicyStore:
    """The serving ``PolicySet`` behind one reference; callers take one snapshot per stream."""

    def __init__(self, path: str, model: ModelPass | None = None) -> None:
        """Load ``path`` (file or directory); raises ``PolicyError`` if it is not valid.

        ``model``: model-based recognisers every policy's scanner runs (none by default).
        """
        self.path = path
        self._model = model
        self._lock = threading.Lock()
        _, files, errors = _read(path)
        self._current = _build(path, files, errors, model)
        self._seen = _read(path, _includes(self._current))[0]

    def current(self) -> PolicySet:
        return self._current

    def reload_if_changed(self) -> ReloadResult | None:
        """Reload when the files' content changed since the last attempt; never raises.

        Contents are hashed on every call (policy files are small): unlike
        mtimes, a hash also sees a same-second edit or a swapped symlink.
        A failed attempt is reported once, then ``None`` until the files change again.
        """
        with self._lock:
            try:
                digest, files, errors = _read(self.path, _includes(self._current))
                if digest == self._seen:
                    return None
                self._seen = digest
                candidate = _build(self.path, files, errors, self._model)
                # Files the new set reads (a gitleaks file added or dropped).
                self._seen = _read(self.path, _includes(candidate))[0]
            except PolicyError as e:
                return ReloadResult(ok=False, errors=e.errors)
            except Exception as e:  # a reload must never take the server down
                return ReloadResult(
                    ok=False, errors=(f"{self.path}: unexpected {type(e).__name__} while loading",)
                )
            self._current = candidate
            return ReloadResult(ok=True, warnings=candidate.warnings, policies=candidate.names)


def _includes(policies: PolicySet) -> tuple[str, ...]:
    """The other files the policies read (gitleaks rules): their content counts too."""
    return tuple(sorted({f for p in policies.policies for f in p.parsed.includes}))


def _read(
    path: str, includes: tuple[str, ...] = ()
) -> tuple[str, list[tuple[str, bytes]], list[str]]:
    """(content digest, (file, bytes) pairs, read errors) for everything at ``path``;
    ``includes`` add their content to the digest only."""
    digest = hashlib.sha256()
    files: list[tuple[str, bytes]] = []
    errors: list[str] = []
    try:
        paths = policy_files(path)
    except OSError as e:
        paths = []
        errors.append(f"{path}: cannot list: {e.strerror or type(e).__name__}")
    for file in paths:
        try:
            with open(file, "rb") as f:
                data = f.read()
        except OSError as e:
            errors.append(f"{file}: cannot read: {e.strerror or type(e).__name__}")
            continue
        files.append((file, data))
        digest.update(b"%d:%s:%d:" % (len(file), file.encode(), len(data)) + data)
    for include in includes:
        try:
            with open(include, "rb") as f:
                digest.update(b"%d:%s:" % (len(include), include.encode()) + f.read())
        except OSError:
            digest.update(b"missing:" + include.encode())
    if not files and not errors:
        errors.append(f"{path}: no policy files ({', '.join('*' + s for s in SUFFIXES)})")
    for error in errors:
        digest.update(error.encode() + b"\0")
    return digest.hexdigest(), files, errors


def _build(
    path: str, files: list[tuple[str, bytes]], errors: list[str], model: ModelPass | None = None
) -> PolicySet:
    """Parse and compile every file, collecting all errors before giving up."""
    errors = list(errors)
    compiled = []
    for file, data in files:
        try:
            compiled.append(compile_policy(parse_policy(data.decode("utf-8"), file), model))
        except UnicodeDecodeError:
            errors.append(f"{file}: cannot read: not UTF-8")
        except PolicyError as e:
            errors.extend(e.errors)
    if errors:
        raise PolicyError(errors)
    return build_policy_set(compiled, path)


__all__ = [
    "DEFAULT_NAME",
    "PolicySet",
    "PolicyStore",
    "ReloadResult",
    "UnknownPolicyError",
    "build_policy_set",
    "load_policy_set",
    "policy_files",
]
