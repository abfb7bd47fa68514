package dev.arbor.backend.meta;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The branches table. A branch's data is the page-store timeline in {@code timeline_id}. */
public final class Branches {
    private Branches() {}

    public record Branch(String id, String projectId, String name, Optional<String> parentId, Optional<String> parentLsn,
                         Optional<Instant> parentTimestamp, Optional<String> timelineId, String currentState,
                         Optional<String> pendingState, Instant stateChangedAt, boolean isDefault, boolean isProtected,
                         String initSource, Optional<Instant> expiresAt, Optional<Instant> lastResetAt,
                         Optional<Long> logicalSize, Instant createdAt, Instant updatedAt, ComputeTime computeTime) {
        /** A branch with no compute time yet (new, or where the time is not needed). */
        public Branch(String id, String projectId, String name, Optional<String> parentId, Optional<String> parentLsn,
                      Optional<Instant> parentTimestamp, Optional<String> timelineId, String currentState,
                      Optional<String> pendingState, Instant stateChangedAt, boolean isDefault, boolean isProtected,
                      String initSource, Optional<Instant> expiresAt, Optional<Instant> lastResetAt,
                      Optional<Long> logicalSize, Instant createdAt, Instant updatedAt) {
            this(id, projectId, name, parentId, parentLsn, parentTimestamp, timelineId, currentState, pendingState, stateChangedAt,
                    isDefault, isProtected, initSource, expiresAt, lastResetAt, logicalSize, createdAt, updatedAt, ComputeTime.NONE);
        }
    }

    /**
     * Time the branch's endpoints were active, including endpoints deleted since and the interval running now
     * (Neon's {@code active_time_seconds}), and the same in compute-unit seconds ({@code compute_time_seconds}).
     * Read-only here: the V5 trigger on endpoints accumulates it.
     */
    public record ComputeTime(double activeSeconds, double computeSeconds) {
        public static final ComputeTime NONE = new ComputeTime(0, 0);
    }

    /** Every column, plus compute time with the intervals of endpoints active right now. */
    private static final String SELECT = "select branches.*, (select coalesce(sum(greatest(0, extract(epoch from now() - e.started_at))), 0)"
            + " from endpoints e where e.branch_id = branches.id and e.current_state = 'active' and e.deleted_at is null"
            + " and e.started_at is not null) as running_seconds,"
            + " (select coalesce(sum(greatest(0, extract(epoch from now() - e.started_at)) * e.min_cu), 0)"
            + " from endpoints e where e.branch_id = branches.id and e.current_state = 'active' and e.deleted_at is null"
            + " and e.started_at is not null) as running_cu_seconds from branches";

    public enum SortBy { name, created_at, updated_at }

    /** Keyset position for pagination: the sort value and id of the last row returned. */
    public record Position(String sortValue, String id) {}

    public static void insert(Connection c, Branch b) throws SQLException {
        try (var ps = c.prepareStatement("insert into branches (id, project_id, name, parent_id, parent_lsn, parent_timestamp,"
                + " timeline_id, current_state, pending_state, state_changed_at, is_default, protected, init_source, expires_at,"
                + " last_reset_at, logical_size, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            bindAll(ps, b);
            ps.executeUpdate();
        }
    }

    private static void bindAll(PreparedStatement ps, Branch b) throws SQLException {
        ps.setString(1, b.id());
        ps.setString(2, b.projectId());
        ps.setString(3, b.name());
        Sql.setString(ps, 4, b.parentId().orElse(null));
        Sql.setString(ps, 5, b.parentLsn().orElse(null));
        Sql.setInstant(ps, 6, b.parentTimestamp().orElse(null));
        Sql.setString(ps, 7, b.timelineId().orElse(null));
        ps.setString(8, b.currentState());
        Sql.setString(ps, 9, b.pendingState().orElse(null));
        Sql.setInstant(ps, 10, b.stateChangedAt());
        ps.setBoolean(11, b.isDefault());
        ps.setBoolean(12, b.isProtected());
        ps.setString(13, b.initSource());
        Sql.setInstant(ps, 14, b.expiresAt().orElse(null));
        Sql.setInstant(ps, 15, b.lastResetAt().orElse(null));
        if (b.logicalSize().isPresent()) ps.setLong(16, b.logicalSize().get());
        else ps.setNull(16, java.sql.Types.BIGINT);
        Sql.setInstant(ps, 17, b.createdAt());
        Sql.setInstant(ps, 18, b.updatedAt());
    }

    /** Rewrites every mutable column of {@code b}. */
    public static void update(Connection c, Branch b) throws SQLException {
        try (var ps = c.prepareStatement("update branches set name = ?, parent_id = ?, parent_lsn = ?, parent_timestamp = ?,"
                + " timeline_id = ?, current_state = ?, pending_state = ?, state_changed_at = ?, is_default = ?, protected = ?,"
                + " init_source = ?, expires_at = ?, last_reset_at = ?, logical_size = ?, updated_at = ? where id = ?")) {
            ps.setString(1, b.name());
            Sql.setString(ps, 2, b.parentId().orElse(null));
            Sql.setString(ps, 3, b.parentLsn().orElse(null));
            Sql.setInstant(ps, 4, b.parentTimestamp().orElse(null));
            Sql.setString(ps, 5, b.timelineId().orElse(null));
            ps.setString(6, b.currentState());
            Sql.setString(ps, 7, b.pendingState().orElse(null));
            Sql.setInstant(ps, 8, b.stateChangedAt());
            ps.setBoolean(9, b.isDefault());
            ps.setBoolean(10, b.isProtected());
            ps.setString(11, b.initSource());
            Sql.setInstant(ps, 12, b.expiresAt().orElse(null));
            Sql.setInstant(ps, 13, b.lastResetAt().orElse(null));
            if (b.logicalSize().isPresent()) ps.setLong(14, b.logicalSize().get());
            else ps.setNull(14, java.sql.Types.BIGINT);
            Sql.setInstant(ps, 15, b.updatedAt());
            ps.setString(16, b.id());
            ps.executeUpdate();
        }
    }

    public static Optional<Branch> get(Connection c, String projectId, String id) throws SQLException {
        return one(c, SELECT + " where project_id = ? and id = ? and deleted_at is null", projectId, id);
    }

    /** Any branch with this id, in any project or deleted (to tell "not yours" from "not found"). */
    public static Optional<Branch> getAny(Connection c, String id) throws SQLException {
        try (var ps = c.prepareStatement(SELECT + " where id = ? and deleted_at is null")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    /** Also a soft-deleted branch (operation steps may outlive the branch row). */
    public static Optional<Branch> getIncludingDeleted(Connection c, String id) throws SQLException {
        try (var ps = c.prepareStatement(SELECT + " where id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public static boolean isDeleted(Connection c, String id) throws SQLException {
        try (var ps = c.prepareStatement("select deleted_at is not null from branches where id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return !rs.next() || rs.getBoolean(1);
            }
        }
    }

    public static Optional<Branch> byName(Connection c, String projectId, String name) throws SQLException {
        return one(c, SELECT + " where project_id = ? and name = ? and deleted_at is null", projectId, name);
    }

    public static Optional<Branch> defaultBranch(Connection c, String projectId) throws SQLException {
        try (var ps = c.prepareStatement(SELECT + " where project_id = ? and is_default and deleted_at is null")) {
            ps.setString(1, projectId);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public static List<Branch> children(Connection c, String id) throws SQLException {
        return list(c, SELECT + " where parent_id = ? and deleted_at is null order by seq", id);
    }

    /** Ids of every branch ever created off {@code id}, deleted ones too (their timeline may still be going away). */
    public static List<String> childIdsIncludingDeleted(Connection c, String id) throws SQLException {
        List<String> out = new ArrayList<>();
        try (var ps = c.prepareStatement("select id from branches where parent_id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }

    public static long countProtected(Connection c, String projectId) throws SQLException {
        try (var ps = c.prepareStatement("select count(*) from branches where project_id = ? and protected and deleted_at is null")) {
            ps.setString(1, projectId);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public static List<Branch> all(Connection c, String projectId) throws SQLException {
        return list(c, SELECT + " where project_id = ? and deleted_at is null order by seq", projectId);
    }

    public static long count(Connection c, String projectId, Optional<String> search) throws SQLException {
        String q = "select count(*) from branches where project_id = ? and deleted_at is null"
                + (search.isPresent() ? " and (strpos(lower(name), lower(?)) > 0 or id = ?)" : "");
        try (var ps = c.prepareStatement(q)) {
            ps.setString(1, projectId);
            if (search.isPresent()) {
                ps.setString(2, search.get());
                ps.setString(3, search.get());
            }
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** One page in (sortBy, id) order; {@code after} is the last row of the previous page. */
    public static List<Branch> page(Connection c, String projectId, Optional<String> search, SortBy sortBy, boolean desc,
                                    Optional<Position> after, int limit) throws SQLException {
        String col = switch (sortBy) {
            case name -> "name collate \"C\"";
            case created_at -> "created_at";
            case updated_at -> "updated_at";
        };
        String cast = sortBy == SortBy.name ? "?::text collate \"C\"" : "?::timestamptz";
        StringBuilder q = new StringBuilder(SELECT + " where project_id = ? and deleted_at is null");
        List<String> args = new ArrayList<>(List.of(projectId));
        if (search.isPresent()) {
            q.append(" and (strpos(lower(name), lower(?)) > 0 or id = ?)");
            args.add(search.get());
            args.add(search.get());
        }
        if (after.isPresent()) {
            String op = desc ? "<" : ">";
            q.append(" and (").append(col).append(" ").append(op).append(" ").append(cast)
                    .append(" or (").append(col).append(" = ").append(cast).append(" and id ").append(op).append(" ?))");
            args.add(after.get().sortValue());
            args.add(after.get().sortValue());
            args.add(after.get().id());
        }
        String dir = desc ? " desc" : " asc";
        q.append(" order by ").append(col).append(dir).append(", id").append(dir).append(" limit ").append(limit);
        List<Branch> out = new ArrayList<>();
        try (var ps = c.prepareStatement(q.toString())) {
            for (int i = 0; i < args.size(); i++) ps.setString(i + 1, args.get(i));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    public static void markDeleted(Connection c, String id, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("update branches set deleted_at = ?, updated_at = ?, is_default = false where id = ?")) {
            Sql.setInstant(ps, 1, now);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, id);
            ps.executeUpdate();
        }
    }

    public static void setTimeline(Connection c, String id, String timelineId, String parentLsn, Instant parentTime,
                                   long logicalSize, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("update branches set timeline_id = ?, parent_lsn = coalesce(?, parent_lsn),"
                + " parent_timestamp = coalesce(?, parent_timestamp), logical_size = ?, current_state = 'ready',"
                + " pending_state = null, state_changed_at = ?, updated_at = ? where id = ?")) {
            ps.setString(1, timelineId);
            Sql.setString(ps, 2, parentLsn);
            Sql.setInstant(ps, 3, parentTime);
            if (logicalSize >= 0) ps.setLong(4, logicalSize);
            else ps.setNull(4, java.sql.Types.BIGINT);
            Sql.setInstant(ps, 5, now);
            Sql.setInstant(ps, 6, now);
            ps.setString(7, id);
            ps.executeUpdate();
        }
    }

    public static void setLogicalSize(Connection c, String id, long size) throws SQLException {
        try (var ps = c.prepareStatement("update branches set logical_size = ? where id = ?")) {
            ps.setLong(1, size);
            ps.setString(2, id);
            ps.executeUpdate();
        }
    }

    private static Optional<Branch> one(Connection c, String sql, String a, String b) throws SQLException {
        try (var ps = c.prepareStatement(sql)) {
            ps.setString(1, a);
            ps.setString(2, b);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    private static List<Branch> list(Connection c, String sql, String a) throws SQLException {
        List<Branch> out = new ArrayList<>();
        try (var ps = c.prepareStatement(sql)) {
            ps.setString(1, a);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    static Branch map(ResultSet rs) throws SQLException {
        long size = rs.getLong("logical_size");
        Optional<Long> logical = rs.wasNull() ? Optional.empty() : Optional.of(size);
        return new Branch(rs.getString("id"), rs.getString("project_id"), rs.getString("name"),
                Sql.optString(rs, "parent_id"), Sql.optString(rs, "parent_lsn"), Sql.optInstant(rs, "parent_timestamp"),
                Sql.optString(rs, "timeline_id"), rs.getString("current_state"), Sql.optString(rs, "pending_state"),
                Sql.instant(rs, "state_changed_at"), rs.getBoolean("is_default"), rs.getBoolean("protected"),
                rs.getString("init_source"), Sql.optInstant(rs, "expires_at"), Sql.optInstant(rs, "last_reset_at"),
                logical, Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"),
                new ComputeTime(rs.getDouble("active_time_seconds") + rs.getDouble("running_seconds"),
                        rs.getDouble("compute_time_seconds") + rs.getDouble("running_cu_seconds")));
    }
}
