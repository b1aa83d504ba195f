"""Loading and validating the claims registry, config/claims.yaml: errors name the claim, check and key."""

from __future__ import annotations

from pathlib import Path

import yaml

from initgen.core.errors import UserFacingError

CLAIM_KEYS = {"id", "statement", "source", "checks"}
CHECK_KEYS = {"name", "artifact", "values", "test", "direction", "threshold", "alpha", "min_n", "for_each", "requires",
              "kind"}
CHECK_KINDS = ("evidence", "sanity", "user")  # user: your own inits (README, Your own study), never the paper's verdict
REQUIRE_OPERATORS = {"below": lambda v, t: v < t, "at_least": lambda v, t: v >= t}
VALUE_KINDS = {"path", "runs", "paired", "trend", "correlation"}
TESTS = {"t", "bootstrap", "every"}
BOOTSTRAP_RESAMPLES = 10000  # our choice: percentile interval error ~0.5% of its level


class ClaimsError(UserFacingError):
    """The registry is malformed, or a metrics.json lacks a key a check reads."""


def load_registry(path) -> dict:
    """Read and validate config/claims.yaml; errors name the claim and key."""
    path = Path(path)
    if not path.exists():
        raise ClaimsError(f"claims registry {path} not found (expected config/claims.yaml in the repository)")
    registry = yaml.safe_load(path.read_text()) or {}
    unknown = set(registry) - {"defaults", "claims"}
    if unknown:
        raise ClaimsError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: defaults, claims")
    defaults = registry.get("defaults") or {}
    bad = set(defaults) - {"alpha", "min_n", "test"}
    if bad:
        raise ClaimsError(f"{path}: defaults: unknown key(s) {sorted(bad)}; allowed: alpha, min_n, test")
    claims = registry.get("claims")
    if not isinstance(claims, list) or not claims:
        raise ClaimsError(f"{path}: 'claims' must be a non-empty list")
    seen = set()
    for index, claim in enumerate(claims):
        where = f"{path}: claims[{index}]"
        if not isinstance(claim, dict):
            raise ClaimsError(f"{where} must be a mapping")
        missing = CLAIM_KEYS - set(claim)
        if missing:
            raise ClaimsError(f"{where} lacks key(s) {sorted(missing)}")
        if set(claim) - CLAIM_KEYS:
            raise ClaimsError(f"{where} (id {claim['id']}): unknown key(s) {sorted(set(claim) - CLAIM_KEYS)}")
        if claim["id"] in seen:
            raise ClaimsError(f"{where}: duplicate id {claim['id']!r}")
        seen.add(claim["id"])
        for check in claim["checks"]:
            _validate_check(check, defaults, f"{path}: claim {claim['id']}, check {check.get('name', '?')!r}")
    return {"defaults": defaults, "claims": claims}


def _validate_check(check: dict, defaults: dict, where: str) -> None:
    if set(check) - CHECK_KEYS:
        raise ClaimsError(f"{where}: unknown key(s) {sorted(set(check) - CHECK_KEYS)}; allowed: {sorted(CHECK_KEYS)}")
    for key in ("name", "artifact", "values", "direction", "threshold"):
        if key not in check:
            raise ClaimsError(f"{where}: missing key '{key}'")
    if check["direction"] not in ("greater", "less"):
        raise ClaimsError(f"{where}: direction must be 'greater' or 'less', not {check['direction']!r}")
    if not isinstance(check["threshold"], int | float):
        raise ClaimsError(f"{where}: threshold must be a number, not {check['threshold']!r}")
    values = check["values"]
    if not isinstance(values, dict) or len(set(values) & VALUE_KINDS) != 1:
        raise ClaimsError(f"{where}: values must name exactly one kind of {sorted(VALUE_KINDS)}")
    test = check.get("test", defaults.get("test", "t"))
    if test not in TESTS:
        raise ClaimsError(f"{where}: test must be one of {sorted(TESTS)}, not {test!r}")
    alpha = check.get("alpha", defaults.get("alpha", 0.05))
    if not 0 < alpha < 1:
        raise ClaimsError(f"{where}: alpha must be in (0, 1), not {alpha!r}")
    if check.get("kind", "evidence") not in CHECK_KINDS:
        raise ClaimsError(f"{where}: kind must be one of {list(CHECK_KINDS)}, not {check['kind']!r}")
    kind = next(iter(set(values) & VALUE_KINDS))
    requires = check.get("requires")
    if requires is not None:
        if kind == "path":
            raise ClaimsError(f"{where}: requires needs run values (runs, paired, trend, correlation), not path")
        if not isinstance(requires, dict) or not requires:
            raise ClaimsError(f"{where}: requires must be a mapping of run key -> value or {{below|at_least: x}}")
        for key, condition in requires.items():
            if isinstance(condition, dict) and (len(condition) != 1 or set(condition) - set(REQUIRE_OPERATORS)):
                raise ClaimsError(f"{where}: requires.{key} must be a value or one of "
                                  f"{{below: x}}, {{at_least: x}}, not {condition!r}")  # fmt: skip
    spec = values[kind]
    needs = {"path": (), "runs": ("metric",), "paired": ("metric", "a", "b", "pair_by"),
             "trend": ("x", "y", "per"), "correlation": ("x", "y")}[kind]
    if kind == "path":
        if not isinstance(spec, list) or not spec:
            raise ClaimsError(f"{where}: values.path must be a non-empty list of keys")
    else:
        missing = [k for k in needs if k not in spec]
        if missing:
            raise ClaimsError(f"{where}: values.{kind} lacks {missing}")
    if values.get("combine", "difference") not in ("difference", "ratio"):
        raise ClaimsError(f"{where}: values.combine must be 'difference' or 'ratio'")
    if values.get("combine") == "ratio" and check["threshold"] <= 0:
        raise ClaimsError(f"{where}: a ratio needs a positive threshold, not {check['threshold']}")
