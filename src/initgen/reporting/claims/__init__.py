"""The claims registry (config/claims.yaml): each paper claim as checks over metrics.json values, and its verdict.

Modules: registry (load and validate claims.yaml), values (the numbers a check reads from metrics.json),
statistical_tests (estimate and interval of those numbers), verdicts (verdict per check and claim, `initgen
claims`), tables (the verdict tables of the report).

A check collects numbers from one artifact's metrics.json, tests them against a threshold in a stated direction
and gives a verdict with the numbers behind it:
  reproduced      the (1 - alpha) two-sided interval lies wholly on the claimed side of the threshold
  not reproduced  it lies wholly on the other side (the effect is absent or reversed)
  inconclusive    too few values (n < min_n), or the interval straddles the threshold
  not run         the artifact is not part of this build (not in the config)
  (and out of regime, beyond the paper, descriptive: below)
The threshold is the smallest effect that counts as the claim (chosen from the paper's wording, see claims.yaml),
so an absent effect measured precisely gives "not reproduced", not "inconclusive".

Kinds of values (key `values`):
  path         a list of numbers at a key path, e.g. [trends, gaussian, hf_init_vs_depth_rho, per_seed]
  runs         one number per entry of "runs" matching `where` (optionally divided by a second metric, `over`)
  paired       metric of runs matching `a` minus (or over, `combine: ratio`) runs matching `b`, paired by `pair_by`
  trend        per group (`per`, e.g. seed): Spearman rho of metric `y` against `x` over runs matching `where`
  correlation  one Spearman rho of `y` against `x` over all runs matching `where`, Fisher-z interval
Tests (key `test`): t (Student-t interval of the mean), bootstrap (percentile interval of the mean),
every (each value must be on the claimed side, one on the wrong side refutes; for bounds and
identities). A ratio is tested on logs.
A claim's verdict: not reproduced if any check is; reproduced if all are; not run if all are; else inconclusive.

Protocol preconditions (key `requires`, e.g. {met_protocol: true} or {train_mse_final: {below: 0.001}}): what
a run must satisfy to count. A unit of evidence (a run; a pair for `paired`; a whole group for `trend`) counts
only if every run in it satisfies them; the others are excluded and counted ("n valid of N"), and a check left
with fewer than min_n valid units is inconclusive with the reason ("2 of 10 runs diverged"). A failed run is
never scored. `kind: sanity` marks an identity that holds by construction (e.g. ASI's zero output at init): it is
shown, never evidence for a claim, and a violated one fails the claims step.
Every check quotes the sentence it tests (`paper_quote: {file, text}`, verbatim from shared/papers) and says what
it covers (`scope:`). Three verdicts are shown and never decide a claim:
  out of regime     `regime: {what, values, direction, threshold[, artifact]}`, tested like a check on its own
                    values, lies wholly on the wrong side (straddling: "inconclusive (regime not established)")
  beyond the paper  the check's group is one `beyond_scope: {run key: [values]}` names (digits MLP for Sec. 7)
  descriptive       `kind: descriptive` (with `why:`): the paper claims no direction or size for it
`values.complement: true` tests 1 - metric (an error from an accuracy). A claim is "out of regime" when every
check that ran was; "beyond the paper" / "descriptive" when it has nothing else.
For an inconclusive check the result says how many units (seeds, or runs for a correlation) would decide it at
the observed effect and spread with 80% power (`n_to_decide`).
"""
