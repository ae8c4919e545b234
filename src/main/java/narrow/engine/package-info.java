/**
 * The deep-learning engine: libtorch 2.13's C++ API through the JavaCPP presets
 * ({@code org.bytedeco:pytorch}). This package is the only one that sees the binding's raw types
 * (pointers, scopes, optionals, scalars, tensor vectors, enums); the rest of the project uses
 * {@link org.bytedeco.pytorch.Tensor} and the functions here.
 *
 * <ul>
 *   <li>{@link narrow.engine.Torch}: loading (bundled libraries extracted first), threads, CPU features;
 *   <li>{@link narrow.engine.TensorScope}: deterministic release of native handles, one scope per
 *       step or layer; {@link narrow.engine.Tensors#own} for what outlives every scope;
 *   <li>{@link narrow.engine.Tensors} and {@link narrow.engine.TensorBytes}: Java data and file
 *       bytes in and out (always copied into libtorch's memory, never borrowed);
 *   <li>{@link narrow.engine.Autograd} (grad mode per thread, backward) and
 *       {@link narrow.engine.Autocast} (bf16 mixed precision per thread);
 *   <li>{@link narrow.engine.Ops}: the tensor functions whose binding signatures need wrappers.
 * </ul>
 *
 * Facts of the binding found while building this: JavaCPP makes a new Java enum object for every
 * {@code scalar_type()} call, so compare {@code intern()}ed values; {@code asByteBuffer()} of a
 * pointer covers [0, limit) with its position inside, so chunks are taken from moved pointers;
 * loading {@code libtorch_cpu.so} straight from the jar can bind a system {@code libc10.so}.
 */
package narrow.engine;
