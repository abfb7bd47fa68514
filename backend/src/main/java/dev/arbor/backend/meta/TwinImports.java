package dev.arbor.backend.meta;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Twin imports live in the operations table: an {@code import_data} operation's params hold the encrypted
 * source URL (what a resumed or re-synced import needs), its redacted form, the database and, while it
 * runs, {@code progress}. The latest import of a branch is its twin configuration.
 */
public final class TwinImports {
    private TwinImports() {}

    /** Progress of a running import; like status changes, not worth a synchronous commit. */
    public static void setProgress(Connection c, UUID operationId, JsonObject progress) throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("set local synchronous_commit = off");
        }
        try (var ps = c.prepareStatement("update operations set params = jsonb_set(params, '{progress}', ?::jsonb) where id = ?")) {
            ps.setString(1, progress.encode());
            ps.setObject(2, operationId);
            ps.executeUpdate();
        }
    }

    /** The latest import operation into this branch (any status). */
    public static Optional<Operation> latest(Connection c, String branchId) throws SQLException {
        return byQuery(c, "select id from operations where branch_id = ? and action = 'import_data' order by seq desc limit 1", branchId)
                .stream().findFirst();
    }

    /** The latest import of each branch of the project that has one. */
    public static List<Operation> latestPerBranch(Connection c, String projectId) throws SQLException {
        return byQuery(c, "select distinct on (branch_id) id from operations where project_id = ? and action = 'import_data'"
                + " order by branch_id, seq desc", projectId);
    }

    private static List<Operation> byQuery(Connection c, String sql, String arg) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (var ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) ids.add(rs.getObject(1, UUID.class));
            }
        }
        List<Operation> out = new ArrayList<>();
        for (UUID id : ids) Operations.get(c, id).ifPresent(out::add);
        return out;
    }
}
