package dev.arbor.backend.compute.proxy;

import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.BranchPoint;

import java.util.Optional;

/**
 * A resolved connection target: the compute that serves it ({@code computeId}: the endpoint's id, or a
 * time-travel compute's), the endpoint spec it runs (roles and their passwords: never log it) and the point
 * it reads at.
 */
public record ProxyTarget(String computeId, EndpointSpec spec, BranchPoint readPoint) {

    /** The password of a role that may log in, if the control plane manages it. */
    public Optional<String> password(String role) {
        return spec.roles().stream().filter(r -> r.name().equals(role) && !r.noLogin() && r.password() != null)
                .map(EndpointSpec.RoleSpec::password).findFirst();
    }

    public boolean timeTravel() { return !(readPoint instanceof BranchPoint.Head); }

    @Override public String toString() { return "ProxyTarget[" + computeId + " " + spec + " at " + readPoint + "]"; }
}
