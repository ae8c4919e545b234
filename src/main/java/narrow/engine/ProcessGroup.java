package narrow.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.BackendOptional;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch_gloo;

/**
 * libtorch's Gloo process group: the collectives data-parallel replicas agree through. Rendezvous
 * is in two steps, so that the store's port can be shared before anyone blocks on it: rank 0
 * {@link #serveStore opens} a {@code TCPStore} on a free port and tells the others (Spark's
 * barrier {@code allGather}), everyone {@link #connectStore connects}, then {@link #join}s. Every
 * collective has the group's timeout, so a rank that died makes the others fail instead of hang.
 *
 * <p>Tensors larger than a bucket are fine; many tensors are packed into flat buckets of about
 * {@link #BUCKET_BYTES}, as PyTorch DDP does, so one collective moves many small gradients.
 */
public final class ProcessGroup implements AutoCloseable {
  static {
    Torch.load();
    org.bytedeco.javacpp.Loader.load(torch_gloo.class);
  }

  /** DDP's default bucket size. */
  public static final long BUCKET_BYTES = 25L << 20;

  private final Store store;
  private final ProcessGroupGloo group;
  /** The same Gloo backend as a {@code c10d::ProcessGroup}, the type DDP's reducer takes. */
  private final org.bytedeco.pytorch.ProcessGroup frontEnd;
  private final int rank;
  private final int size;
  private final Duration timeout;

  /**
   * The rendezvous store: a server on rank 0, a client elsewhere. The bindings allocate a
   * {@code TCPStore} with a plain {@code new}, and the Gloo group that takes it adopts it into
   * its own reference count; so once a group has it, the group alone frees it (closing it here
   * as well freed it twice: "corrupted double-linked list").
   */
  public static final class Store implements AutoCloseable {
    private final TCPStore store;
    private boolean adopted;

    private Store(TCPStore store) {
      this.store = store;
    }

    /** The port the store listens on (rank 0's), to share with the other ranks. */
    public int port() {
      return store.getPort() & 0xFFFF;
    }

    private void adoptedByGroup() {
      store.deallocate(false); // the Java side stops owning it; the address stays valid
      adopted = true;
    }

    /** Frees a store no group has taken (a failed rendezvous); a group's store goes with the group. */
    @Override
    public void close() {
      if (!adopted) store.deallocate();
    }
  }

  private ProcessGroup(Store store, ProcessGroupGloo group, int rank, int size, Duration timeout) {
    this.store = store;
    this.group = group;
    this.frontEnd = new org.bytedeco.pytorch.ProcessGroup(rank, size);
    for (torch.DeviceType type : new torch.DeviceType[] {torch.DeviceType.CPU, torch.DeviceType.CUDA}) {
      BackendOptional backend = new BackendOptional(group); // a counted reference: the group is make_intrusive'd
      frontEnd.setBackend(type, org.bytedeco.pytorch.ProcessGroup.BackendType.GLOO, backend);
      backend.deallocate();
    }
    frontEnd.setDefaultBackend(org.bytedeco.pytorch.ProcessGroup.BackendType.GLOO);
    this.rank = rank;
    this.size = size;
    this.timeout = timeout;
  }

  /**
   * Rank {@code rank} of {@code size} ranks that are threads of this JVM, on loopback (benchmarks,
   * tests): rank 0 serves the store and publishes its port through {@code port} (-1 until then),
   * the others wait for it and connect.
   */
  public static ProcessGroup joinInProcess(int rank, int size, java.util.concurrent.atomic.AtomicInteger port,
      Duration timeout) throws InterruptedException {
    Store store;
    if (rank == 0) {
      store = serveStore("127.0.0.1", size, timeout);
      port.set(store.port());
    } else {
      while (port.get() < 0) Thread.sleep(5);
      store = connectStore("127.0.0.1", port.get(), size, timeout);
    }
    return join(store, "127.0.0.1", rank, size, timeout);
  }

  /** Rank 0: a store server on a free port of {@code host}; nothing else listens once it is closed. */
  public static Store serveStore(String host, int worldSize, Duration timeout) {
    return new Store(new TCPStore(host, storeOptions(true, 0, worldSize, timeout)));
  }

  /** Every other rank: a client of rank 0's store. */
  public static Store connectStore(String host, int port, int worldSize, Duration timeout) {
    return new Store(new TCPStore(host, storeOptions(false, port, worldSize, timeout)));
  }

  private static TCPStoreOptions storeOptions(boolean server, int port, int worldSize, Duration timeout) {
    TCPStoreOptions o = new TCPStoreOptions();
    o.isServer(server);
    o.port((short) port);
    o.numWorkers(new SizeTPointer(1).put(worldSize));
    o.waitWorkers(false);
    o.timeout(new Milliseconds(timeout.toMillis()));
    return o;
  }

  /**
   * Forms the group (blocks until every rank has joined, or the timeout). {@code localHost} is the
   * address of this rank's machine that the other ranks can reach.
   */
  public static ProcessGroup join(Store store, String localHost, int rank, int size, Duration timeout) {
    ProcessGroupGloo.Options options = new ProcessGroupGloo.Options(new Milliseconds(timeout.toMillis()));
    GlooDeviceVector devices = new GlooDeviceVector();
    devices.push_back(ProcessGroupGloo.createDeviceForHostname(localHost));
    options.devices(devices);
    // adopted as the call starts, so even a constructor that throws (a timeout) frees it, once
    store.adoptedByGroup();
    ProcessGroupGloo group = new ProcessGroupGloo(store.store, rank, size, options);
    return new ProcessGroup(store, group, rank, size, timeout);
  }

  public int rank() {
    return rank;
  }

  public int size() {
    return size;
  }

  /** Sums each tensor across ranks, in place (float tensors, any shapes, same order on every rank). */
  public void allReduceSum(List<Tensor> tensors) {
    for (List<Tensor> bucket : buckets(tensors)) {
      try (TensorScope scope = new TensorScope()) {
        Tensor flat = flatten(bucket);
        AllreduceOptions o = new AllreduceOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
        o.timeout(new Milliseconds(timeout.toMillis()));
        group.allreduce(new TensorVector(flat), o)._wait();
        unflatten(flat, bucket);
      }
    }
  }

  /** Sums {@code values} across ranks, in float64: every rank gets the same totals. */
  public double[] allReduceSum(double[] values) {
    try (TensorScope scope = new TensorScope()) {
      Tensor t = torch.empty(new long[] {values.length}, Tensors.options(ScalarType.Double, Device.CPU),
          new org.bytedeco.pytorch.MemoryFormatOptional());
      try (org.bytedeco.javacpp.DoublePointer p = t.data_ptr_double()) {
        p.put(values);
      }
      AllreduceOptions o = new AllreduceOptions();
      o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
      o.timeout(new Milliseconds(timeout.toMillis()));
      group.allreduce(new TensorVector(t), o)._wait();
      double[] out = new double[values.length];
      try (org.bytedeco.javacpp.DoublePointer p = t.data_ptr_double()) {
        p.get(out);
      }
      return out;
    }
  }

  /** Every rank's {@code values} (all of the same length), indexed by rank. */
  public double[][] allGather(double[] values) {
    double[] slots = new double[size * values.length];
    System.arraycopy(values, 0, slots, rank * values.length, values.length);
    double[] summed = allReduceSum(slots); // every other rank adds exact zeros to this rank's slot
    double[][] out = new double[size][];
    for (int r = 0; r < size; r++) {
      out[r] = java.util.Arrays.copyOfRange(summed, r * values.length, (r + 1) * values.length);
    }
    return out;
  }

  /** Copies {@code root}'s tensors into every other rank's, in place. */
  public void broadcast(List<Tensor> tensors, int root) {
    for (List<Tensor> bucket : buckets(tensors)) {
      try (TensorScope scope = new TensorScope()) {
        Tensor flat = flatten(bucket);
        BroadcastOptions o = new BroadcastOptions();
        o.rootRank(root);
        o.timeout(new Milliseconds(timeout.toMillis()));
        group.broadcast(new TensorVector(flat), o)._wait();
        if (rank != root) unflatten(flat, bucket);
      }
    }
  }

  /**
   * DDP's reducer for these parameters (named, for its error messages): from then on, a backward
   * announced with {@link GradientReducer#expectBackward} leaves every gradient averaged over the
   * ranks, its all-reduce overlapped with the backward pass. Close it before the group.
   */
  public GradientReducer reducer(List<String> names, List<Tensor> parameters) {
    return new GradientReducer(frontEnd, names, parameters);
  }

  /** Returns once every rank has called it. */
  public void barrier() {
    group.barrier()._wait();
  }

  /** Consecutive runs of tensors of one dtype and device, each at most one bucket (or one tensor). */
  static List<List<Tensor>> buckets(List<Tensor> tensors) {
    List<List<Tensor>> out = new ArrayList<>();
    List<Tensor> current = new ArrayList<>();
    long bytes = 0;
    for (Tensor t : tensors) {
      boolean sameKind = current.isEmpty() || (current.get(0).scalar_type().intern() == t.scalar_type().intern()
          && current.get(0).is_cuda() == t.is_cuda());
      if (!current.isEmpty() && (!sameKind || bytes + t.nbytes() > BUCKET_BYTES)) {
        out.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(t);
      bytes += t.nbytes();
    }
    if (!current.isEmpty()) out.add(current);
    return out;
  }

  private static Tensor flatten(List<Tensor> bucket) {
    if (bucket.size() == 1) return bucket.get(0).detach().reshape(-1).contiguous();
    TensorVector views = new TensorVector();
    for (Tensor t : bucket) views.push_back(t.detach().reshape(-1));
    return torch.cat(views, 0);
  }

  /** Writes a reduced bucket back into its tensors (a no-op copy when one contiguous tensor was reduced in place). */
  private static void unflatten(Tensor flat, List<Tensor> bucket) {
    long offset = 0;
    for (Tensor t : bucket) {
      long n = t.numel();
      Tensor part = flat.narrow(0, offset, n).view(Tensors.shape(t));
      // a single contiguous tensor was reduced in place: nothing to copy
      if (part.data_ptr().address() != t.data_ptr().address()) t.detach().copy_(part);
      offset += n;
    }
  }

  @Override
  public void close() {
    frontEnd.deallocate();
    group.deallocate();
    store.close();
  }
}
