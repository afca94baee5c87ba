#!/usr/bin/env python3
"""The disclosure attack on published outcome reports (docs/EVALUATION.md).

Reads a JSON file of published reports, each already turned into a model of
everything a reader sees (written by crates/domain/tests/disclosure_attack.rs):

  cells:  counts; published ones as their rounded value, suppressed as null
  lines:  parts that add up to a total (inside a group, rounds and regions
          to the fund)
  le:     parts whose sum cannot exceed another count (pairs <= respondents)
  sums:   hidden integer sums behind each mean (sum of UCLA scores, of
          changes), bounded by the counts and, where a mean is published, by
          the exact means the banded mean can stand for
  sum_lines: sums that add up (rounds and regions to the fund; paired
          follow-up = paired baseline + change)

For every count it asks an exact MILP solver (HiGHS) whether anything but its
exact value is consistent with all of that together (the same as asking
whether its smallest and largest consistent values differ). A count that can
only be its exact value is recovered: the script prints every such count with
its table's seed and exits 1. Exact values are in the file only for that
question and to check the model; a count already seen with two values in
feasible solutions (a few solves in random directions come first) is not
pinned and needs no solve of its own.

Usage: disclosure_attack.py REPORTS.json
"""

import json
import random
import sys

import highspy

UNBOUNDED = 10**7


def attack(report):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    cells = report["cells"]
    x = []
    for cell in cells:
        shown = cell["published"]
        if shown is None:
            lb, ub = 0, UNBOUNDED
        else:
            # Published: at least the threshold, and within rounding of it.
            lb, ub = max(shown - report["rounding_half"], report["threshold"]), shown + report["rounding_half"]
        x.append(h.addIntegral(lb=lb, ub=ub))
    for line in report["lines"]:
        h.addConstr(sum(x[i] for i in line["parts"]) == x[line["total"]])
    for le in report["le"]:
        h.addConstr(sum(x[i] for i in le["parts"]) <= x[le["bound"]])
    s = []
    for total in report["sums"]:
        v = h.addIntegral(lb=-UNBOUNDED, ub=UNBOUNDED)
        s.append(v)
        h.addConstr(v - sum(c * x[i] for c, i in total["lower"]) >= 0)
        h.addConstr(v - sum(c * x[i] for c, i in total["upper"]) <= 0)
        if total["mean"] is not None:
            lo, hi = total["mean"]
            n = x[total["n"]]
            h.addConstr(v - lo * n >= 0)
            h.addConstr(v - hi * n <= 0)
    for line in report["sum_lines"]:
        h.addConstr(sum(s[i] for i in line["parts"]) == s[line["total"]])

    seen = [set() for _ in cells]
    columns = [v.index for v in x]
    bounds = []
    for cell in cells:
        shown = cell["published"]
        if shown is None:
            bounds.append((0, UNBOUNDED))
        else:
            bounds.append((max(shown - report["rounding_half"], report["threshold"]), shown + report["rounding_half"]))
    solves = 0

    def run():
        """Solves; records every count's value if feasible."""
        nonlocal solves
        solves += 1
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return False
        if status != highspy.HighsModelStatus.kOptimal:
            raise SystemExit(f"seed {report['seed']}: solver status {status}")
        values = h.getSolution().col_value
        for j, col in enumerate(columns):
            seen[j].add(round(values[col]))
        return True

    # A few solves in random directions find most counts' freedom at once.
    rng = random.Random(report["seed"])
    for _ in range(8):
        for col in columns:
            h.changeColCost(col, rng.choice((-1.0, 0.0, 1.0)))
        if not run():
            raise SystemExit(f"seed {report['seed']}: model error, the published report is infeasible")
    for col in columns:
        h.changeColCost(col, 0.0)
    # Then each count not yet seen with two values: can it be anything but
    # its exact value? (Feasibility with its bounds narrowed.)
    pinned = []
    for i, cell in enumerate(cells):
        if len(seen[i]) > 1:
            continue
        exact = cell["exact"]
        lb, ub = bounds[i]
        if not lb <= exact <= ub:
            raise SystemExit(f"seed {report['seed']}: model error, {cell['name']} exact {exact} outside [{lb}, {ub}]")
        free = False
        for narrowed in ((lb, exact - 1), (exact + 1, ub)):
            if narrowed[0] > narrowed[1]:
                continue
            h.changeColBounds(columns[i], *narrowed)
            free = run()
            h.changeColBounds(columns[i], lb, ub)
            if free:
                break
        if not free:
            pinned.append(cell)
    return pinned, solves


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        reports = json.load(f)
    failures = 0
    solves = 0
    cells = 0
    shown = sum(c["published"] is not None for r in reports for c in r["cells"])
    means = sum(s["mean"] is not None for r in reports for s in r["sums"])
    for report in reports:
        pinned, n = attack(report)
        solves += n
        cells += len(report["cells"])
        if pinned:
            failures += 1
            print(f"seed {report['seed']} ({report['shape']}): {len(pinned)} count(s) recovered exactly:")
            for cell in pinned:
                shown = "suppressed" if cell["published"] is None else f"published {cell['published']}"
                print(f"  {cell['name']} = {cell['exact']} ({shown})")
            print(f"  table: {json.dumps(report['table'])}")
    print(
        f"{len(reports)} reports, {cells} counts ({shown} published, {cells - shown} suppressed), "
        f"{means} published means, {solves} MILP solves, {failures} report(s) with a recovered count"
    )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
