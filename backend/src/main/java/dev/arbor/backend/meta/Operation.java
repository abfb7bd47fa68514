package dev.arbor.backend.meta;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** One row of the operations table. {@code params} carry what the step needs that metadata does not. */
public record Operation(
        UUID id, String projectId, Optional<String> branchId, Optional<String> endpointId,
        OperationAction action, OperationStatus status, int failuresCount, Optional<String> error,
        Optional<UUID> dependsOn, JsonObject params, Instant createdAt, Instant updatedAt, long totalDurationMs) {
}
