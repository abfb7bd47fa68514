package dev.arbor.backend.ops;

import java.util.Optional;

/**
 * What compute may ask the control plane: an endpoint's desired state (for the proxy to route and
 * wake it) and reports of state changes it made on its own (auto-suspend, wake-up by a connection).
 */
public interface EndpointRegistry {
    Optional<EndpointSpec> spec(String endpointId);

    /** The spec of a branch's read_write endpoint, else its first (the proxy routes a branch-id host to it). */
    default Optional<EndpointSpec> branchSpec(String branchId) { return Optional.empty(); }

    /** Endpoints the metadata says are running (current_state active): what compute restarts after a server restart. */
    default java.util.List<EndpointSpec> activeSpecs() { return java.util.List.of(); }

    /** The endpoint's postgres now accepts connections (e.g. woken by the proxy). */
    void reportActive(String endpointId);

    /** The endpoint's postgres stopped (e.g. suspended after its idle timeout). */
    void reportIdle(String endpointId);
}
