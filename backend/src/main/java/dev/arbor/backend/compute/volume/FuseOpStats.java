package dev.arbor.backend.compute.volume;

import dev.arbor.backend.metrics.Histogram;
import org.cryptomator.jfuse.api.FuseOperations.Operation;

/** Latency of FUSE callbacks by operation, over every volume of one compute manager. */
public final class FuseOpStats {
    private final Histogram[] byOp = new Histogram[Operation.values().length];

    public FuseOpStats() {
        for (int i = 0; i < byOp.length; i++) byOp[i] = new Histogram(Histogram.FUSE_SECONDS);
    }

    /** Hot path: an array index and a histogram record. */
    void record(Operation op, long startNanos) {
        byOp[op.ordinal()].recordNanos(System.nanoTime() - startNanos);
    }

    public Histogram of(Operation op) { return byOp[op.ordinal()]; }
}
