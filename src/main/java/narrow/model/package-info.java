/**
 * Hugging Face's {@code LlamaForCausalLM} on DJL's PyTorch engine, exact to float32 rounding.
 *
 * <pre>{@code
 * try (NDManager manager = NDManager.newBaseManager(ComputeDevice.choose(preferGpu));
 *      LlamaForCausalLM model = LlamaForCausalLM.init(LlamaConfig.preset("d256_l4_h4"), seed, manager)) {
 *   Autograd.requireGradients(model.parameters().values());
 *   for (...) {
 *     try (NDManager step = manager.newSubManager()) {          // everything of one step
 *       NDArray ids = step.create(tokens, new Shape(b, t));
 *       try (Autograd.Recording r = Autograd.record()) {
 *         NDArray loss = CausalLmLoss.loss(model.logits(ids), ids);
 *         r.backward(loss);
 *       }
 *       NDArray g = Autograd.gradient(param, step);              // freed with the step
 *       try (Autograd.Scope s = Autograd.noGrad()) { ...update parameters in place... }
 *     }
 *     Autograd.zeroGradients(model.parameters().values());
 *   }
 *   model.save(dir, DType.BF16);
 * }
 * }</pre>
 *
 * Limits of DJL 0.35.1's PyTorch JNI found while building this (each checked): casting to
 * BFLOAT16 aborts the JVM, so bf16 exists only on disk (read and written by
 * {@link narrow.model.io.Safetensors} in Java); every dtype cast detaches from the autograd graph,
 * so there is no mixed-precision training; {@code NDArray.hasGradient()} reports false for
 * non-leaf results even when they are in the graph; {@code getGradientFunctionNames} crashes on a
 * leaf; arrays made from Java data borrow memory the GC frees once their handle is closed, even
 * while a graph still needs it for backward, so graph code takes its scalars and tables from
 * {@link narrow.model.TorchOwned} ({@code x.mul(2.0)} is such a borrowed scalar).
 */
package narrow.model;
