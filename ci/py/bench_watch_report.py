#!/usr/bin/env python3
"""The drop-storm half of ci/bench/watch.sh's report."""
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
storm, attempts, cpu = float(sys.argv[2]), sys.argv[3], sys.argv[4]
drops = sum(1 for r in records if r["event"] == "drop")
final = next(r for r in records if r["event"] == "totals" and r["last"])
once = ", each closed before its SYN was retransmitted" if drops == int(attempts) else ""
print(f"drop storm ({storm:.0f} s, wrong key: {attempts} connections opened, 200 at a time{once}):")
print(f"  drops printed by watch: {drops} ({drops / storm:.0f}/s); watch used {cpu} ms CPU")
for c in final["counters"]:
    print(f"  {c['counter']}: {c['delta']:+d} in the namespace, {c['events']} seen by the tracepoints")
