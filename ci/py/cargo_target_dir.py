#!/usr/bin/env python3
"""Prints cargo's target directory for the workspace in the current
directory (CARGO_TARGET_DIR when set, as cargo itself reads it)."""
import json
import subprocess

meta = subprocess.run(
    ["cargo", "metadata", "--format-version", "1", "--no-deps"], capture_output=True, check=True
).stdout
print(json.loads(meta)["target_directory"])
