package dev.arbor.backend.meta;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The endpoints table: computes attached to a branch. */
public final class Endpoints {
    private Endpoints() {}

    public record Endpoint(String id, String projectId, String branchId, String type, String currentState,
                           Optional<String> pendingState, double minCu, double maxCu, int suspendTimeoutSeconds,
                           JsonObject settings, boolean disabled, boolean passwordlessAccess, Optional<String> name,
                           String provisioner, Instant createdAt, Instant updatedAt, Optional<Instant> startedAt,
                           Optional<Instant> suspendedAt, Optional<Instant> lastActive) {

        public Endpoint withState(String state, Optional<String> pending, Instant now) {
            Optional<Instant> started = "active".equals(state) ? Optional.of(now) : startedAt;
            Optional<Instant> suspended = "idle".equals(state) && "active".equals(currentState) ? Optional.of(now) : suspendedAt;
            return new Endpoint(id, projectId, branchId, type, state, pending, minCu, maxCu, suspendTimeoutSeconds, settings,
                    disabled, passwordlessAccess, name, provisioner, createdAt, now, started, suspended,
                    "active".equals(state) ? Optional.of(now) : lastActive);
        }
    }

    public static void insert(Connection c, Endpoint e) throws SQLException {
        try (var ps = c.prepareStatement("insert into endpoints (id, project_id, branch_id, type, current_state, pending_state,"
                + " min_cu, max_cu, suspend_timeout_seconds, settings, disabled, passwordless_access, name, provisioner,"
                + " created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?::jsonb,?,?,?,?,?,?)")) {
            ps.setString(1, e.id());
            ps.setString(2, e.projectId());
            ps.setString(3, e.branchId());
            ps.setString(4, e.type());
            ps.setString(5, e.currentState());
            Sql.setString(ps, 6, e.pendingState().orElse(null));
            ps.setDouble(7, e.minCu());
            ps.setDouble(8, e.maxCu());
            ps.setInt(9, e.suspendTimeoutSeconds());
            ps.setString(10, e.settings().encode());
            ps.setBoolean(11, e.disabled());
            ps.setBoolean(12, e.passwordlessAccess());
            Sql.setString(ps, 13, e.name().orElse(null));
            ps.setString(14, e.provisioner());
            Sql.setInstant(ps, 15, e.createdAt());
            Sql.setInstant(ps, 16, e.updatedAt());
            ps.executeUpdate();
        }
    }

    public static void update(Connection c, Endpoint e) throws SQLException {
        try (var ps = c.prepareStatement("update endpoints set branch_id = ?, current_state = ?, pending_state = ?, min_cu = ?,"
                + " max_cu = ?, suspend_timeout_seconds = ?, settings = ?::jsonb, disabled = ?, passwordless_access = ?, name = ?,"
                + " updated_at = ?, started_at = ?, suspended_at = ?, last_active = ? where id = ?")) {
            ps.setString(1, e.branchId());
            ps.setString(2, e.currentState());
            Sql.setString(ps, 3, e.pendingState().orElse(null));
            ps.setDouble(4, e.minCu());
            ps.setDouble(5, e.maxCu());
            ps.setInt(6, e.suspendTimeoutSeconds());
            ps.setString(7, e.settings().encode());
            ps.setBoolean(8, e.disabled());
            ps.setBoolean(9, e.passwordlessAccess());
            Sql.setString(ps, 10, e.name().orElse(null));
            Sql.setInstant(ps, 11, e.updatedAt());
            Sql.setInstant(ps, 12, e.startedAt().orElse(null));
            Sql.setInstant(ps, 13, e.suspendedAt().orElse(null));
            Sql.setInstant(ps, 14, e.lastActive().orElse(null));
            ps.setString(15, e.id());
            ps.executeUpdate();
        }
    }

    public static Optional<Endpoint> get(Connection c, String projectId, String id) throws SQLException {
        try (var ps = c.prepareStatement("select * from endpoints where project_id = ? and id = ? and deleted_at is null")) {
            ps.setString(1, projectId);
            ps.setString(2, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public static Optional<Endpoint> getAny(Connection c, String id) throws SQLException {
        try (var ps = c.prepareStatement("select * from endpoints where id = ? and deleted_at is null")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    /** Also a soft-deleted endpoint: a delete_compute step still needs its last state. */
    public static Optional<Endpoint> getIncludingDeleted(Connection c, String id) throws SQLException {
        try (var ps = c.prepareStatement("select * from endpoints where id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public static boolean isDeleted(Connection c, String id) throws SQLException {
        try (var ps = c.prepareStatement("select deleted_at is not null from endpoints where id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return !rs.next() || rs.getBoolean(1);
            }
        }
    }

    public static List<Endpoint> byProject(Connection c, String projectId) throws SQLException {
        return list(c, "select * from endpoints where project_id = ? and deleted_at is null order by seq", projectId);
    }

    public static List<Endpoint> byBranch(Connection c, String branchId) throws SQLException {
        return list(c, "select * from endpoints where branch_id = ? and deleted_at is null order by seq", branchId);
    }

    public static long countEnabled(Connection c, String projectId) throws SQLException {
        try (var ps = c.prepareStatement("select count(*) from endpoints where project_id = ? and deleted_at is null and not disabled")) {
            ps.setString(1, projectId);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public static void markDeleted(Connection c, String id, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("update endpoints set deleted_at = ?, updated_at = ? where id = ?")) {
            Sql.setInstant(ps, 1, now);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, id);
            ps.executeUpdate();
        }
    }

    private static List<Endpoint> list(Connection c, String sql, String a) throws SQLException {
        List<Endpoint> out = new ArrayList<>();
        try (var ps = c.prepareStatement(sql)) {
            ps.setString(1, a);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    private static Endpoint map(ResultSet rs) throws SQLException {
        return new Endpoint(rs.getString("id"), rs.getString("project_id"), rs.getString("branch_id"), rs.getString("type"),
                rs.getString("current_state"), Sql.optString(rs, "pending_state"), rs.getDouble("min_cu"), rs.getDouble("max_cu"),
                rs.getInt("suspend_timeout_seconds"), Sql.json(rs, "settings"), rs.getBoolean("disabled"),
                rs.getBoolean("passwordless_access"), Sql.optString(rs, "name"), rs.getString("provisioner"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), Sql.optInstant(rs, "started_at"),
                Sql.optInstant(rs, "suspended_at"), Sql.optInstant(rs, "last_active"));
    }
}
