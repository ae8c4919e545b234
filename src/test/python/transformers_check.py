#!/usr/bin/env python3
"""Loads checkpoint folders that narrow wrote the way a user would, with Hugging Face transformers,
and reports what it found, for TransformersCompatibilityTest to compare with narrow's own numbers.

Usage: transformers_check.py OUT.safetensors IDS_JSON DIR...
Writes logits.<i> (float32 [B, T, V], for DIR number i on the ids) to OUT.safetensors and prints one
JSON line: per folder the parameter count, and where present the global step from
trainer_state.json (read by transformers' TrainerState) and max_steps from training_args.bin
(torch.load with weights_only=True).
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import LlamaForCausalLM
from transformers.trainer_callback import TrainerState

out_file, ids = sys.argv[1], torch.tensor(json.loads(sys.argv[2]))
logits, facts = {}, {}
for i, folder in enumerate(sys.argv[3:]):
    model = LlamaForCausalLM.from_pretrained(folder).float().eval()
    with torch.no_grad():
        logits[f"logits.{i}"] = model(input_ids=ids).logits.contiguous()
    found = {"n_params": model.num_parameters()}
    if os.path.exists(os.path.join(folder, "trainer_state.json")):
        found["global_step"] = TrainerState.load_from_json(os.path.join(folder, "trainer_state.json")).global_step
    if os.path.exists(os.path.join(folder, "training_args.bin")):
        found["max_steps"] = torch.load(os.path.join(folder, "training_args.bin"), weights_only=True)["max_steps"]
    facts[str(i)] = found
save_file(logits, out_file)
print(json.dumps(facts))
