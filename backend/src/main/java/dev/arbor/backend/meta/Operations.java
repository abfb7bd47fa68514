package dev.arbor.backend.meta;


import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The operations table: the durable queue behind {@link dev.arbor.backend.ops.OperationExecutor}. */
public final class Operations {
    private Operations() {}

    public static void insert(Connection c, Operation o) throws SQLException {
        try (var ps = c.prepareStatement("insert into operations (id, project_id, branch_id, endpoint_id, action, status,"
                + " failures_count, error, depends_on, params, created_at, updated_at, total_duration_ms)"
                + " values (?,?,?,?,?,?,?,?,?,?::jsonb,?,?,?)")) {
            ps.setObject(1, o.id());
            ps.setString(2, o.projectId());
            Sql.setString(ps, 3, o.branchId().orElse(null));
            Sql.setString(ps, 4, o.endpointId().orElse(null));
            ps.setString(5, o.action().name());
            ps.setString(6, o.status().name());
            ps.setInt(7, o.failuresCount());
            Sql.setString(ps, 8, o.error().orElse(null));
            ps.setObject(9, o.dependsOn().orElse(null));
            ps.setString(10, o.params().encode());
            Sql.setInstant(ps, 11, o.createdAt());
            Sql.setInstant(ps, 12, o.updatedAt());
            ps.setLong(13, o.totalDurationMs());
            ps.executeUpdate();
        }
    }

    /**
     * Progress of an operation. Committed without waiting for the WAL flush: losing the last status
     * change in a metadata crash only makes the (idempotent) step run again.
     */
    public static void setStatus(Connection c, UUID id, OperationStatus status, int failures, String error, Instant now)
            throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("set local synchronous_commit = off");
        }
        try (var ps = c.prepareStatement("update operations set status = ?, failures_count = ?, error = ?, updated_at = ?,"
                + " total_duration_ms = greatest(0, (extract(epoch from (?::timestamptz - created_at)) * 1000)::bigint) where id = ?")) {
            ps.setString(1, status.name());
            ps.setInt(2, failures);
            Sql.setString(ps, 3, error);
            Sql.setInstant(ps, 4, now);
            Sql.setInstant(ps, 5, now);
            ps.setObject(6, id);
            ps.executeUpdate();
        }
    }

    public static Optional<Operation> get(Connection c, UUID id) throws SQLException {
        try (var ps = c.prepareStatement("select * from operations where id = ?")) {
            ps.setObject(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    /** Newest first, as Neon lists them; {@code cursor} is the id of the last operation of the previous page. */
    public static List<Operation> page(Connection c, String projectId, Optional<UUID> cursor, int limit) throws SQLException {
        String q = "select * from operations where project_id = ?"
                + (cursor.isPresent() ? " and seq < coalesce((select seq from operations where id = ?), 0)" : "")
                + " order by seq desc limit " + limit;
        List<Operation> out = new ArrayList<>();
        try (var ps = c.prepareStatement(q)) {
            ps.setString(1, projectId);
            if (cursor.isPresent()) ps.setObject(2, cursor.get());
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    public static List<Operation> unfinished(Connection c) throws SQLException {
        List<Operation> out = new ArrayList<>();
        try (var st = c.createStatement();
             var rs = st.executeQuery("select * from operations where status in ('scheduling', 'running') order by seq")) {
            while (rs.next()) out.add(map(rs));
        }
        return out;
    }

    /** Unfinished timeline/compute operations touching any of these branches (what makes a mutation answer 423). */
    public static List<Operation> unfinishedFor(Connection c, List<String> branchIds) throws SQLException {
        List<Operation> out = new ArrayList<>();
        if (branchIds.isEmpty()) return out;
        try (var ps = c.prepareStatement("select * from operations where status in ('scheduling', 'running')"
                + " and branch_id = any(?) order by seq")) {
            ps.setArray(1, c.createArrayOf("text", branchIds.toArray()));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    private static Operation map(ResultSet rs) throws SQLException {
        return new Operation(rs.getObject("id", UUID.class), rs.getString("project_id"), Sql.optString(rs, "branch_id"),
                Sql.optString(rs, "endpoint_id"), OperationAction.valueOf(rs.getString("action")),
                OperationStatus.valueOf(rs.getString("status")), rs.getInt("failures_count"), Sql.optString(rs, "error"),
                Optional.ofNullable(rs.getObject("depends_on", UUID.class)), Sql.json(rs, "params"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), rs.getLong("total_duration_ms"));
    }
}
