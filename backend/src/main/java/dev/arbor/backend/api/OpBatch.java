package dev.arbor.backend.api;

import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.OperationStatus;
import dev.arbor.backend.meta.Operations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The operations one API call starts, inserted in its transaction and run, in order, after it commits.
 * Each operation depends on the one before it, so a failure stops the rest of the chain.
 */
final class OpBatch {
    private final List<Operation> ops = new ArrayList<>();

    Operation add(Connection c, OperationAction action, String projectId, String branchId, String endpointId,
                  JsonObject params) throws SQLException {
        Instant now = Instant.now();
        Optional<UUID> dep = ops.isEmpty() ? Optional.empty() : Optional.of(ops.getLast().id());
        Operation op = new Operation(UUID.randomUUID(), projectId, Optional.ofNullable(branchId), Optional.ofNullable(endpointId),
                action, OperationStatus.scheduling, 0, Optional.empty(), dep, params == null ? new JsonObject() : params,
                now, now, 0);
        Operations.insert(c, op);
        ops.add(op);
        return op;
    }

    List<Operation> list() { return List.copyOf(ops); }

    /** Forgets operations of a rolled-back attempt (the transaction is being retried). */
    void clear() { ops.clear(); }

    JsonArray json(Views views) { return Views.array(ops, views::operation); }
}
