#!/usr/bin/env python3
"""The nightly differential's report (ci/nightly/differential.sh)."""
import json
r = json.load(open("target/differential.json"))
print(f"differential: kernel {r['kernel']}, semantics {r['semantics']}, seed {r['seed']}")
for f in r["families"]:
    for kind, k in f["kinds"].items():
        rate = k["cases"] / max(k["seconds"], 1e-9)
        print(f"  {f['family']:5} {kind:34} {k['cases']:6} cases {k['disagreements']:3} disagreements {rate:6.0f}/s")
