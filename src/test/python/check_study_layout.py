"""Opens every file of a narrow study tree with the reader its users read it with.

    python check_study_layout.py ROOT

ROOT/<experiment>/<run>/...: *.safetensors with safetensors, *.pt and training_args.bin with
torch.load(weights_only=True), the JSON files with json and the study's keys, and the metrics
tables under ROOT/_metrics/ with pandas. Prints one line per kind of file it opened; exits 1 with
every problem listed when one does not open or lacks a key.
"""
import json
import os
import sys
from collections import Counter

import pandas as pd
import torch
from safetensors import safe_open

# the keys the study's notebooks and scripts read from each JSON file
KEYS = {
    "model_stats.json": ["n_params", "n_trainable_params"],
    "pruning_stats.json": ["pruned_neurons", "pruned_residuals", "total_neurons", "total_residuals"],
    "experiment_metadata.json": [],  # its keys depend on the kind of run: checked below
    "trainer_state.json": ["log_history", "global_step", "max_steps"],
    "config.json": ["hidden_size", "num_hidden_layers", "vocab_size", "model_type"],
}
METADATA_KEYS = {
    "pruning": ["model_name", "neuron_sparsity", "residual_sparsity", "run_date"],
    "group_sparsity": ["experiment_type", "sparsity_lambda", "regularizer"],
    "distillation": ["experiment_type", "teacher", "temperature", "alpha"],
}
TABLES = ["history", "runs", "pruning", "neuron_norms"]


def check_json(path, name, problems):
    with open(path) as f:
        data = json.load(f)
    wanted = KEYS[name]
    if name == "experiment_metadata.json":
        wanted = METADATA_KEYS.get(data.get("experiment_type"), METADATA_KEYS["pruning"])
    missing = [k for k in wanted if k not in data]
    if missing:
        problems.append(f"{path}: no {', '.join(missing)}")


def main(root):
    opened, problems = Counter(), []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            path = os.path.join(folder, name)
            try:
                if name.endswith(".safetensors"):
                    with safe_open(path, framework="pt") as f:
                        for key in f.keys():
                            f.get_tensor(key)
                    opened["safetensors"] += 1
                elif name.endswith(".pt") or name == "training_args.bin":
                    torch.load(path, weights_only=True)
                    opened["torch.load(weights_only=True)"] += 1
                elif name in KEYS:
                    check_json(path, name, problems)
                    opened["json " + name] += 1
            except Exception as e:  # every file that does not open is listed, not only the first
                problems.append(f"{path}: {type(e).__name__}: {e}")
    for table in TABLES:
        path = os.path.join(root, "_metrics", table)
        try:
            frame = pd.read_parquet(path)
            if "experiment" not in frame.columns or "run" not in frame.columns:
                problems.append(f"{path}: no experiment or run column")
            opened["parquet"] += 1
        except Exception as e:
            problems.append(f"{path}: {type(e).__name__}: {e}")
    for kind, n in sorted(opened.items()):
        print(f"{kind}: {n}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"ok {sum(opened.values())} files")


if __name__ == "__main__":
    main(sys.argv[1])
