"""Loading and validating the claims registry, config/claims.yaml: errors name the claim, check and key."""

from __future__ import annotations

from pathlib import Path

import yaml

from initgen.core.errors import UserFacingError

CLAIM_KEYS = {"id", "statement", "source", "checks"}
CHECK_KEYS = {"name", "artifact", "values", "test", "direction", "threshold", "alpha", "min_n", "for_each", "requires",
              "kind", "paper_quote", "scope", "beyond_scope", "regime", "why"}
# evidence decides its claim; sanity is an identity (shown, a violated one fails the step); descriptive is a number
# the paper shows but claims no direction or size for (shown, no verdict)
CHECK_KINDS = ("evidence", "sanity", "descriptive", "user")  # user: your own inits (README, Your own study),
# never the paper's verdict
REGIME_KEYS = {"what", "values", "direction", "threshold", "requires", "artifact"}  # artifact: measured on another
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
    test = check.get("test", defaults.get("test", "t"))
    if test not in TESTS:
        raise ClaimsError(f"{where}: test must be one of {sorted(TESTS)}, not {test!r}")
    alpha = check.get("alpha", defaults.get("alpha", 0.05))
    if not 0 < alpha < 1:
        raise ClaimsError(f"{where}: alpha must be in (0, 1), not {alpha!r}")
    if check.get("kind", "evidence") not in CHECK_KINDS:
        raise ClaimsError(f"{where}: kind must be one of {list(CHECK_KINDS)}, not {check['kind']!r}")
    if check.get("kind") == "descriptive" and not check.get("why"):
        raise ClaimsError(f"{where}: a descriptive check needs `why:` (why the paper's text gives it no verdict)")
    _validate_extras(check, where)
    _validate_values(check, where, defaults)
    regime = check.get("regime")
    if regime is not None:
        if not isinstance(regime, dict) or set(regime) - REGIME_KEYS:
            raise ClaimsError(f"{where}: regime must be a mapping of {sorted(REGIME_KEYS)}")
        missing = [k for k in ("what", "values", "direction", "threshold") if k not in regime]
        if missing:
            raise ClaimsError(f"{where}: regime lacks {missing}")
        _validate_values(regime, f"{where}, regime", defaults)


def _validate_extras(check: dict, where: str) -> None:
    """paper_quote {file, text}, scope (free text or a mapping), beyond_scope {run key: [values]}."""
    quote = check.get("paper_quote")
    if quote is not None and (not isinstance(quote, dict) or set(quote) != {"file", "text"}):
        raise ClaimsError(f"{where}: paper_quote must be {{file: <name in shared/papers>, text: <verbatim>}}")
    beyond = check.get("beyond_scope")
    if beyond is not None and (not isinstance(beyond, dict)
                               or not all(isinstance(v, list) for v in beyond.values())):  # fmt: skip
        raise ClaimsError(f"{where}: beyond_scope must map a run key to a list of values, e.g. {{model: [mlp]}}")


def _validate_values(check: dict, where: str, defaults: dict) -> None:
    """The keys a check and a regime share: direction, threshold, values, requires."""
    if check["direction"] not in ("greater", "less"):
        raise ClaimsError(f"{where}: direction must be 'greater' or 'less', not {check['direction']!r}")
    if not isinstance(check["threshold"], int | float):
        raise ClaimsError(f"{where}: threshold must be a number, not {check['threshold']!r}")
    values = check["values"]
    if not isinstance(values, dict) or len(set(values) & VALUE_KINDS) != 1:
        raise ClaimsError(f"{where}: values must name exactly one kind of {sorted(VALUE_KINDS)}")
    kind = next(iter(set(values) & VALUE_KINDS))
    if values.get("complement", False) not in (True, False) or (values.get("complement") and kind not in
                                                                 ("runs", "paired")):  # fmt: skip
        raise ClaimsError(f"{where}: values.complement (1 - metric, e.g. error from accuracy) is true or false, "
                          "for runs or paired values")
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
