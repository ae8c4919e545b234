#!/usr/bin/env python3
"""Makes narrow's golden numbers with PyTorch and Hugging Face transformers.

Two tiny LLaMA models (an untied multi-head one in float32 and a tied grouped-query one in
bfloat16) and what PyTorch computes for them: logits, the causal-LM loss, every parameter's
gradient, gradient clipping, one AdamW step, the cosine learning-rate schedule, attribution
scores and the pruned sets, the group-sparsity penalties with their gradients and the
distillation loss with the student's gradients. The Java tests compare narrow's numbers with
these.

Usage (the venv that `mvn verify` makes has torch, transformers and safetensors):
    target/hf-venv/bin/python src/test/python/make_goldens.py [OUT_DIR]
OUT_DIR defaults to src/test/resources/goldens; it receives llama-tiny/{golden.json,
untied-mha/, tied-gqa-bf16/}, each model folder holding config.json, model.safetensors and
golden.safetensors (float32 answers computed from the on-disk weights upcast to float32); the
untied model's folder also holds penalties.safetensors (the group penalties' gradients) and
distillation.safetensors (the student's gradients of the distillation loss).
Everything is seeded: running it again with the same torch gives the same files.
"""
import json
import math
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM, get_cosine_schedule_with_warmup

VOCAB, HIDDEN, INTERMEDIATE, LAYERS, HEADS = 320, 64, 96, 2, 4
BATCH, SEQ, MASKED_TAIL = 3, 24, 5
SEED = 20261203

# name -> (key/value heads, tied embeddings, dtype on disk)
MODELS = {
    "untied-mha": (4, False, torch.float32),
    "tied-gqa-bf16": (2, True, torch.bfloat16),
}
ADAMW = {"lr": 1e-3, "weight_decay": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "max_grad_norm": 1.0}
ATTRIBUTION = {"neuron_sparsity": 0.5, "residual_sparsity": 0.25}
DISTILL = {"student": "untied-mha", "teacher": "tied-gqa-bf16", "temperature": 2.0, "alpha": 0.5}
SCHEDULE = {"warmup_steps": 10, "total_steps": 100, "peak_lr": 5e-4}
# answers beyond the shared layout's golden.safetensors go into files of their own (each under 2 MB)
SIDE_FILES = {"penalty_grad.": "penalties.safetensors", "distill_grad.": "distillation.safetensors"}


def config_dict(kv_heads, tied, dtype):
    # head_dim 16 with llama3 scaling (factor 32, original 8192) reaches all three branches of
    # the frequency rule: kept, interpolated and scaled
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": VOCAB - 2,
        "eos_token_id": VOCAB - 1,
        "head_dim": HIDDEN // HEADS,
        "hidden_act": "silu",
        "hidden_size": HIDDEN,
        "initializer_range": 0.02,
        "intermediate_size": INTERMEDIATE,
        "max_position_embeddings": 131072,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "num_key_value_heads": kv_heads,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-05,
        "rope_scaling": {
            "factor": 32.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 8192,
            "rope_type": "llama3",
        },
        "rope_theta": 500000.0,
        "tie_word_embeddings": tied,
        "torch_dtype": "bfloat16" if dtype == torch.bfloat16 else "float32",
        "use_cache": True,
        "vocab_size": VOCAB,
    }


def float32_model(cfg, state):
    """The model in float32 with the given (on-disk) weights upcast; eager attention."""
    config = LlamaConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "torch_dtype")})
    config._attn_implementation = "eager"
    model = LlamaForCausalLM(config).float()
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    if cfg["tie_word_embeddings"]:
        model.tie_weights()
    model.train()  # dropout is 0: train mode changes nothing but says what the numbers are for
    return model


def make_weights(name, kv_heads, tied, dtype, generator):
    cfg = config_dict(kv_heads, tied, dtype)
    config = LlamaConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "torch_dtype")})
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("norm.weight"):
                # away from 1, so that the norms' gradients and their share of scores matter
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=generator))
    state = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    if tied:
        state.pop("lm_head.weight", None)
    return cfg, state


def named_params(model):
    return dict(model.named_parameters())  # a tied head appears once, as the embedding


def batch_loss(model, batch):
    return model(input_ids=batch["input_ids"], labels=batch["labels"]).loss


def gradients(model, batch):
    model.zero_grad(set_to_none=True)
    loss = batch_loss(model, batch)
    loss.backward()
    return loss, {k: p.grad.detach().clone() for k, p in named_params(model).items()}


def adamw_step(model, batch, no_decay):
    model.zero_grad(set_to_none=True)
    batch_loss(model, batch).backward()
    params = named_params(model)
    torch.nn.utils.clip_grad_norm_(list(params.values()), ADAMW["max_grad_norm"])
    groups = [
        {"params": [p for k, p in params.items() if k not in no_decay], "weight_decay": ADAMW["weight_decay"]},
        {"params": [p for k, p in params.items() if k in no_decay], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=ADAMW["lr"], betas=tuple(ADAMW["betas"]), eps=ADAMW["eps"], foreach=False)
    opt.step()
    return {k: p.detach().clone() for k, p in params.items()}


def attribution(model, batches):
    """The study's scores: mean |gradient| per parameter times −θ, summed per neuron / dimension."""
    params = named_params(model)
    acc = {k: torch.zeros_like(p) for k, p in params.items()}
    samples = 0
    for batch in batches:
        model.zero_grad(set_to_none=True)
        batch_loss(model, batch).backward()
        for k, p in params.items():
            acc[k] += p.grad.abs()
        samples += batch["input_ids"].shape[0]
    effect = {k: acc[k] / samples * (-params[k].detach()) for k in params}
    neurons = torch.stack([
        effect[f"model.layers.{l}.mlp.gate_proj.weight"].sum(1)
        + effect[f"model.layers.{l}.mlp.up_proj.weight"].sum(1)
        + effect[f"model.layers.{l}.mlp.down_proj.weight"].sum(0)
        for l in range(LAYERS)
    ]).abs()
    residual = effect["model.embed_tokens.weight"].sum(0) + effect["model.norm.weight"]
    for l in range(LAYERS):
        pre = f"model.layers.{l}."
        residual = residual + effect[pre + "input_layernorm.weight"] + effect[pre + "post_attention_layernorm.weight"]
        for reader in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"):
            residual = residual + effect[pre + reader + ".weight"].sum(0)
        for writer in ("self_attn.o_proj", "mlp.down_proj"):
            residual = residual + effect[pre + writer + ".weight"].sum(1)
    return neurons, residual.abs(), samples


def lowest(scores, sparsity):
    """The int(total·sparsity) lowest scores, ascending, ties in index order."""
    values = scores.flatten().tolist()
    count = int(len(values) * sparsity)
    return sorted(range(len(values)), key=lambda i: (values[i], i))[:count]


def neuron_norms(p):
    return torch.stack([
        (p[f"model.layers.{l}.mlp.gate_proj.weight"].pow(2).sum(1)
         + p[f"model.layers.{l}.mlp.up_proj.weight"].pow(2).sum(1)
         + p[f"model.layers.{l}.mlp.down_proj.weight"].pow(2).sum(0)).sqrt()
        for l in range(LAYERS)
    ])


def residual_norms(p):
    sq = p["model.embed_tokens.weight"].pow(2).sum(0) + p["model.norm.weight"].pow(2)
    for l in range(LAYERS):
        pre = f"model.layers.{l}."
        sq = sq + p[pre + "input_layernorm.weight"].pow(2) + p[pre + "post_attention_layernorm.weight"].pow(2)
        for reader in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"):
            sq = sq + p[pre + reader + ".weight"].pow(2).sum(0)
        for writer in ("self_attn.o_proj", "mlp.down_proj"):
            sq = sq + p[pre + writer + ".weight"].pow(2).sum(1)
    return sq.sqrt()


def hoyer(norms):
    return norms.abs().sum() / norms.pow(2).sum().sqrt()


# The study's regularizers (tuneprune), by the names its launch scripts use
PENALTIES = {
    "l1_sparsity_loss": lambda p: sum(t.abs().sum() for t in p.values()),
    "l1_sparsity_loss_mlps": lambda p: sum(t.abs().sum() for k, t in p.items() if "mlp" in k),
    "l1_of_l2_of_mlps": lambda p: neuron_norms(p).sum(),
    "lhalf_of_l2_of_mlps": lambda p: neuron_norms(p).sqrt().sum().pow(2),
    "group_hoyer_neurons": lambda p: hoyer(neuron_norms(p).flatten()),
    "group_lasso_residual_stream": lambda p: residual_norms(p).sum(),
    "group_hoyer_residual_stream": lambda p: hoyer(residual_norms(p)),
}
# gradients stored for these, of the untied model (the L1 forms' gradient is sign(θ), which a test
# derives itself; l1_of_l2_of_mlps' is group_lasso_grad, stored for both models)
PENALTY_GRADIENTS = [name for name in PENALTIES if not name.startswith("l1_sparsity")]


def penalty(model, name):
    params = named_params(model)
    leaves = {k: p.detach().clone().requires_grad_(True) for k, p in params.items()}
    value = PENALTIES[name](leaves)
    value.backward()
    grads = {k: t.grad for k, t in leaves.items() if t.grad is not None and bool(t.grad.ne(0).any())}
    return value.item(), grads


def distillation(student, teacher, batch):
    """Hinton's loss as the study's DistillationTrainer has it: α·CE + (1−α)·T²·KL(teacher‖student),
    KL per position over the positions whose label is not −100 (batchmean), logits not shifted."""
    t, alpha = DISTILL["temperature"], DISTILL["alpha"]
    student.zero_grad(set_to_none=True)
    out = student(input_ids=batch["input_ids"], labels=batch["labels"])
    with torch.no_grad():
        teacher_logits = teacher(input_ids=batch["input_ids"]).logits
    keep = batch["labels"].ne(-100)
    s = torch.log_softmax(out.logits[keep] / t, dim=-1)
    p = torch.softmax(teacher_logits[keep] / t, dim=-1)
    kd = torch.nn.functional.kl_div(s, p, reduction="batchmean") * t * t
    combined = alpha * out.loss + (1 - alpha) * kd
    combined.backward()
    grads = {k: q.grad.detach().clone() for k, q in named_params(student).items()}
    return {"combined_loss": combined.item(), "student_ce": out.loss.item(), "kd_loss": kd.item()}, grads


def schedule():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=SCHEDULE["peak_lr"])
    sched = get_cosine_schedule_with_warmup(opt, SCHEDULE["warmup_steps"], SCHEDULE["total_steps"])
    lrs = []
    for _ in range(SCHEDULE["total_steps"] + 1):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/goldens", "llama-tiny")
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    batches = []
    for _ in range(2):
        ids = torch.randint(0, VOCAB - 2, (BATCH, SEQ), generator=generator)
        labels = ids.clone()
        labels[0, -MASKED_TAIL:] = -100
        batches.append({"input_ids": ids, "labels": labels})

    golden = {
        "batches": [{k: v.tolist() for k, v in b.items()} for b in batches],
        "models": {},
        "generator": {"script": "src/test/python/make_goldens.py", "seed": SEED},
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    }
    models = {}
    for name, (kv_heads, tied, dtype) in MODELS.items():
        cfg, state = make_weights(name, kv_heads, tied, dtype, generator)
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})

        model = float32_model(cfg, state)
        models[name] = model
        tensors = {}
        no_decay = [k for k in named_params(model) if k.endswith("norm.weight")]

        with torch.no_grad():
            tensors["logits"] = model(input_ids=batches[0]["input_ids"]).logits.contiguous()
        loss, grads = gradients(model, batches[0])
        tensors.update({"grad." + k: g for k, g in grads.items()})
        norm = torch.sqrt(sum(g.double().pow(2).sum() for g in grads.values())).item()

        neurons, residual, samples = attribution(model, batches)
        tensors["neuron_scores"], tensors["residual_scores"] = neurons, residual
        pruned_neurons = [[i // INTERMEDIATE, i % INTERMEDIATE] for i in lowest(neurons, ATTRIBUTION["neuron_sparsity"])]
        pruned_residuals = lowest(residual, ATTRIBUTION["residual_sparsity"])

        penalties = {}
        for pname in PENALTIES:
            value, pgrads = penalty(model, pname)
            penalties[pname] = value
            if pname == "l1_of_l2_of_mlps":
                tensors.update({"group_lasso_grad." + k: g for k, g in pgrads.items()})
            elif pname in PENALTY_GRADIENTS and not tied:
                tensors.update({f"penalty_grad.{pname}.{k}": g for k, g in pgrads.items()})

        # the AdamW step changes the weights: it comes last
        tensors.update({"adamw_step1." + k: v for k, v in adamw_step(model, batches[0], no_decay).items()})
        models[name] = float32_model(cfg, state)

        golden["models"][name] = {
            "loss_batch0": loss.item(),
            "grad_global_norm_batch0": norm,
            "clip_coefficient": ADAMW["max_grad_norm"] / (norm + 1e-6),
            "adamw": dict(ADAMW, no_weight_decay=no_decay),
            "group_lasso": penalties["l1_of_l2_of_mlps"],
            "penalties": penalties,
            "attribution": {
                "num_samples": samples,
                **ATTRIBUTION,
                "pruned_neurons": pruned_neurons,
                "pruned_residuals": pruned_residuals,
                "total_neurons": LAYERS * INTERMEDIATE,
                "total_residuals": HIDDEN,
            },
            "num_parameters": sum(p.numel() for p in named_params(model).values()),
        }
        golden["models"][name]["_tensors"] = tensors

    scalars, student_grads = distillation(models[DISTILL["student"]], models[DISTILL["teacher"]], batches[0])
    golden["distillation"] = dict(DISTILL, **scalars)
    golden["models"][DISTILL["student"]]["_tensors"].update({"distill_grad." + k: g for k, g in student_grads.items()})
    golden["cosine_with_warmup"] = dict(SCHEDULE, lr=schedule())

    for name in MODELS:
        tensors = golden["models"][name].pop("_tensors")
        files = {}
        for k, v in sorted(tensors.items()):
            file = next((f for prefix, f in SIDE_FILES.items() if k.startswith(prefix)), "golden.safetensors")
            files.setdefault(file, {})[k] = v.detach().float().contiguous()
        for file, part in files.items():
            save_file(part, os.path.join(out, name, file))
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    print(f"wrote {out} ({total / 1e6:.1f} MB) with torch {torch.__version__}, transformers {transformers.__version__}")


if __name__ == "__main__":
    main()
