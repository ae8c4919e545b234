#!/usr/bin/env python3
"""Eager-PyTorch reference for TrainBench: the same LLaMA training step in plain PyTorch.

The model is Hugging Face's LlamaForCausalLM math written out (transformers is not needed):
embedding, RMSNorm in float32, rotary embeddings, attention either as HF's "eager" implementation
(matmul, additive causal mask of finfo.min, float32 softmax, matmul) or as
F.scaled_dot_product_attention(is_causal=True) (torch 2.x only), SwiGLU MLP, untied head, and
transformers' causal-LM loss (labels shifted and padded with -100, float32 cross entropy summed
over the counted labels, divided by their number); then global-norm clipping at 1.0 and
torch.optim.AdamW (weight decay 0.01, none on norms) with a warmup-then-cosine learning rate, one
optimizer step per batch. With --bf16 the forward pass runs under
torch.autocast("cpu", dtype=torch.bfloat16) (HF Trainer's bf16=True); backward runs outside it,
as the Trainer does. Random token ids: speed does not depend on the data.

Two ways to run it:

* one shot (by hand): prints one JSON line {"tokens_per_second" (median timed step),
  "step_seconds" (median), "step_seconds_all", "params", "threads", "torch"}:
      python3 torch_train_reference.py --hidden 256 --layers 4 --heads 4 --seq 256 --batch 4 \
          --warmup 2 --steps 5 --threads 2 [--bf16] [--attention sdpa]
* --worker (what TrainBench runs): builds the model, answers commands read one per line on stdin,
  each with one line on stdout starting "@bench " followed by JSON, so that the benchmark can
  interleave this process's steps with other engines' (the protocol narrow.bench.TrainWorker
  speaks too):
      steps N eager|sdpa           -> {"seconds", "cpu_seconds", "page_faults", "losses", "phases"}:
                                      N optimizer steps with that attention; wall time, process CPU
                                      time, minor page faults and loss of each, and its seconds in
                                      [forward with the loss, backward, clipping + optimizer]
      gemm M K N float32|bfloat16 R -> {"seconds": [...]} (R timings of linear(x[M,K], w[N,K]), each
                                      the mean of as many calls as fill 0.1 s)
      memory                       -> {"rss_kb", "hwm_kb", "heap_kb": 0}
      quit
  The first line it prints is {"ready": true, "engine", "params", "threads", "kernels", ...};
  a command it cannot run answers {"error": "..."}.
"""
import argparse
import json
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

IGNORE_INDEX = -100
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")  # torch >= 2.0
TORCH_2 = int(torch.__version__.split(".")[0]) >= 2


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        var = xf.pow(2).mean(-1, keepdim=True)
        return self.weight * (xf * torch.rsqrt(var + self.eps))


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Layer(nn.Module):
    def __init__(self, hidden, heads, inter, owner):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.owner = [owner]  # the Llama, for its attention setting (a list: not a submodule)
        self.input_layernorm = RMSNorm(hidden)
        self.post_attention_layernorm = RMSNorm(hidden)
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.gate_proj = nn.Linear(hidden, inter, bias=False)
        self.up_proj = nn.Linear(hidden, inter, bias=False)
        self.down_proj = nn.Linear(inter, hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, h = x.shape
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(y).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(y).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scale = 1.0 / math.sqrt(self.head_dim)
        if self.owner[0].attention == "sdpa":
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
        else:
            att = torch.matmul(q, k.transpose(2, 3)) * scale + mask
            att = F.softmax(att, dim=-1, dtype=torch.float32).to(v.dtype)
            out = torch.matmul(att, v)
        x = x + self.o_proj(out.transpose(1, 2).reshape(b, t, h))
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Llama(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, inter, theta=500000.0):
        super().__init__()
        self.attention = "eager"
        self.embed_tokens = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList(Layer(hidden, heads, inter, self) for _ in range(layers))
        self.norm = RMSNorm(hidden)
        self.lm_head = nn.Linear(hidden, vocab, bias=False)
        hd = hidden // heads
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2).float() / hd))

    def forward(self, ids):
        t = ids.shape[1]
        freqs = torch.outer(torch.arange(t).float(), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = None
        if self.attention != "sdpa":
            mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


def causal_lm_loss(logits, ids):
    """transformers' ForCausalLMLoss: shift the labels (not the logits), float32, mean over counted labels."""
    labels = F.pad(ids, (0, 1), value=IGNORE_INDEX)[:, 1:].reshape(-1)
    total = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), labels,
                            ignore_index=IGNORE_INDEX, reduction="sum")
    return total / (labels != IGNORE_INDEX).sum()


class Bench:
    def __init__(self, a):
        if a.threads > 0:
            torch.set_num_threads(a.threads)
        if a.bf16 and not TORCH_2:
            raise SystemExit("--bf16 needs torch 2.x (this is %s)" % torch.__version__)
        torch.manual_seed(0)
        self.a = a
        self.model = Llama(a.vocab, a.hidden, a.layers, a.heads, a.inter or 4 * a.hidden)
        params = list(self.model.named_parameters())
        decay = [p for n, p in params if not n.endswith("norm.weight")]
        no_decay = [p for n, p in params if n.endswith("norm.weight")]
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                      {"params": no_decay, "weight_decay": 0.0}], lr=5e-4, eps=1e-8)
        # cosine decay over a long run, as the Java side's bench arguments (speed does not depend on it)
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / 1_000_000)))
        self.ids = torch.randint(0, a.vocab, (a.batch, a.seq))

    def params(self):
        return sum(p.numel() for p in self.model.parameters())

    def step(self):
        """One optimizer step: its loss and its seconds in [forward + loss, backward, optimizer]."""
        t0 = time.perf_counter()
        if self.a.bf16:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = causal_lm_loss(self.model(self.ids), self.ids)
        else:
            loss = causal_lm_loss(self.model(self.ids), self.ids)
        value = loss.item()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.sched.step()
        self.opt.zero_grad(set_to_none=True)
        return value, [t1 - t0, t2 - t1, time.perf_counter() - t2]

    def steps(self, n, attention):
        if attention not in ("eager", "sdpa"):
            raise ValueError("attention must be eager or sdpa, got " + attention)
        if attention == "sdpa" and not HAS_SDPA:
            raise ValueError("torch %s has no scaled_dot_product_attention" % torch.__version__)
        self.model.attention = attention
        times, cpu, faults, losses, phases = [], [], [], [], []
        for _ in range(n):
            start, start_cpu = time.perf_counter(), time.process_time()
            start_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            loss, phase = self.step()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start_faults)
            losses.append(loss)
            phases.append(phase)
        return times, cpu, faults, losses, phases

    @staticmethod
    def gemm(m, k, n, dtype, reps, min_seconds=0.1):
        """Seconds per call of linear(x[m,k], w[n,k]), reps times, each timing calls enough to last min_seconds."""
        dt = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
        with torch.no_grad():
            x = torch.randn(m, k).to(dt)
            w = torch.randn(n, k).to(dt)
            times = []
            for _ in range(reps):
                calls, start = 0, time.perf_counter()
                while True:
                    F.linear(x, w)
                    calls += 1
                    elapsed = time.perf_counter() - start
                    if elapsed >= min_seconds:
                        break
                times.append(elapsed / calls)
        return times


def proc_status_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def reply(obj):
    sys.stdout.write("@bench " + json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(bench):
    reply({"ready": True, "engine": "torch " + torch.__version__, "params": bench.params(),
           "threads": torch.get_num_threads(), "bf16": bench.a.bf16,
           "kernels": ["eager", "sdpa"] if HAS_SDPA else ["eager"]})
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "quit":
                return
            if words[0] == "steps":
                seconds, cpu, faults, losses, phases = bench.steps(int(words[1]), words[2])
                reply({"seconds": seconds, "cpu_seconds": cpu, "page_faults": faults, "losses": losses,
                       "phases": phases})
            elif words[0] == "gemm":
                m, k, n = (int(w) for w in words[1:4])
                reply({"seconds": bench.gemm(m, k, n, words[4], int(words[5]))})
            elif words[0] == "memory":
                reply({"rss_kb": proc_status_kb("VmRSS"), "hwm_kb": proc_status_kb("VmHWM"), "heap_kb": 0})
            else:
                reply({"error": "unknown command " + words[0]})
        except (ValueError, IndexError, KeyError, RuntimeError) as e:
            reply({"error": "%s: %s" % (type(e).__name__, e)})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, default=128256)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--inter", type=int, default=0, help="MLP width; 0: 4 x hidden")
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--bf16", action="store_true", help="forward under bfloat16 autocast (torch 2.x)")
    p.add_argument("--attention", choices=["eager", "sdpa"], default="eager")
    p.add_argument("--worker", action="store_true", help="answer commands on stdin (TrainBench)")
    a = p.parse_args()
    bench = Bench(a)
    if a.worker:
        serve(bench)
        return
    bench.steps(a.warmup, a.attention)
    times = bench.steps(a.steps, a.attention)[0]
    seconds = statistics.median(times)
    print(json.dumps({
        "tokens_per_second": a.batch * a.seq / seconds,
        "step_seconds": seconds,
        "step_seconds_all": times,
        "params": bench.params(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
