package dev.arbor.backend.compute;

/** Where an endpoint's postgres is, as compute sees it. */
public sealed interface EndpointStatus {
    /** No postgres, no mount: the state after suspend (and before the first start). */
    record Suspended() implements EndpointStatus {}

    /** Accepting connections on the loopback port; {@code connections} proxied clients right now. */
    record Running(int port, long pid, int connections) implements EndpointStatus {}
}
