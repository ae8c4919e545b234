/**
 * Hugging Face's {@code LlamaForCausalLM} on libtorch (through {@link narrow.engine}), exact to
 * float32 rounding, with bf16 autocast for training.
 *
 * <pre>{@code
 * try (LlamaForCausalLM model = LlamaForCausalLM.init(LlamaConfig.preset("d256_l4_h4"), seed, device)) {
 *   Autograd.requireGradients(model.parameters().values());
 *   for (...) {
 *     try (TensorScope step = new TensorScope()) {                 // frees everything of one step
 *       Tensor ids = Tensors.longs(tokens, device, b, t);
 *       try (Autograd.Recording r = Autograd.record(); Autocast a = Autocast.bf16If(bf16, device)) {
 *         r.backward(CausalLmLoss.loss(model.logits(ids), ids));
 *       }
 *       Tensor g = Autograd.gradient(param);
 *       try (Autograd.Scope s = Autograd.noGrad()) { ...update parameters in place... }
 *     }
 *   }
 *   model.save(dir, DType.BF16);
 * }
 * }</pre>
 *
 * Everything is libtorch-owned memory (Java data is copied in), so a tensor that an autograd graph
 * keeps can never be freed under it; handles are released by {@link narrow.engine.TensorScope}.
 */
package narrow.model;
