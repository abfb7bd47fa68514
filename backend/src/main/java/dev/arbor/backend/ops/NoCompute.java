package dev.arbor.backend.ops;

/**
 * The state of a server with no compute plugged in: endpoints exist in metadata but stay
 * {@code idle}; operations that need a running postgres end as {@code skipped} with a message
 * saying so. Nothing pretends a connection could succeed.
 */
public final class NoCompute implements ComputeControl {
    public static final String REASON = "no compute backend is configured on this server; endpoint stays idle";

    @Override public boolean available() { return false; }
    @Override public void start(EndpointSpec endpoint) { throw new UnsupportedOperationException(REASON); }
    @Override public void suspend(EndpointSpec endpoint) { }
    @Override public void applyConfig(EndpointSpec endpoint) { throw new UnsupportedOperationException(REASON); }
    @Override public void delete(EndpointSpec endpoint) { }
}
