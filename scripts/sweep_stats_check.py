#!/usr/bin/env python3
"""The sweep statistics computed independently, with NumPy and SciPy, for common/tests/sweep_stats.rs.

Usage: python scripts/sweep_stats_check.py < samples.json > stats.json

Reads a JSON list of samples (lists of floats) and writes, for each, [mean, sample standard
deviation (ddof=1), half-width of the two-sided 95 % Student t interval] — the t quantile from
scipy.stats.t.ppf(0.975, n - 1).
"""

import json
import sys

import numpy as np
from scipy import stats

out = []
for sample in json.load(sys.stdin):
    x = np.asarray(sample, dtype=np.float64)
    n = len(x)
    sd = float(np.std(x, ddof=1))
    out.append([float(np.mean(x)), sd, float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))])
json.dump(out, sys.stdout)
