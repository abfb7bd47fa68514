package dev.arbor.backend.compute;

/** A connection or request named an endpoint that does not exist (or is deleted). */
public final class EndpointNotFound extends RuntimeException {
    public EndpointNotFound(String endpointId) {
        super("endpoint " + endpointId + " does not exist");
    }
}
