package dev.arbor.backend.ops;

import dev.arbor.storage.TimelineId;

import java.util.List;
import java.util.Map;

/**
 * The desired state of one endpoint, as the control plane hands it to {@link ComputeControl}.
 * Contains role passwords: never log it.
 */
public record EndpointSpec(
        String projectId,
        String endpointId,
        String branchId,
        TimelineId timeline,
        String type,              // read_write | read_only
        int pgVersion,
        double minCu,
        double maxCu,
        int suspendTimeoutSeconds,
        Map<String, String> pgSettings,
        List<RoleSpec> roles,
        List<DatabaseSpec> databases) {

    public boolean readOnly() { return "read_only".equals(type); }

    public record RoleSpec(String name, String password, boolean noLogin) {
        @Override public String toString() { return "RoleSpec[" + name + "]"; } // keep passwords out of logs
    }

    public record DatabaseSpec(String name, String ownerName) {}

    @Override public String toString() {
        return "EndpointSpec[" + endpointId + " branch=" + branchId + " timeline=" + timeline + " " + type + "]";
    }
}
