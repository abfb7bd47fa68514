package dev.arbor.backend.meta;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The projects table. */
public final class Projects {
    private Projects() {}

    public record Project(String id, String name, String regionId, int pgVersion, Optional<String> orgId,
                          int historyRetentionSeconds, boolean storePasswords, JsonObject settings,
                          JsonObject defaultEndpointSettings, Instant createdAt, Instant updatedAt) {}

    public static void insert(Connection c, Project p) throws SQLException {
        try (var ps = c.prepareStatement("insert into projects (id, name, region_id, pg_version, org_id,"
                + " history_retention_seconds, store_passwords, settings, default_endpoint_settings, created_at, updated_at)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)")) {
            ps.setString(1, p.id());
            ps.setString(2, p.name());
            ps.setString(3, p.regionId());
            ps.setInt(4, p.pgVersion());
            Sql.setString(ps, 5, p.orgId().orElse(null));
            ps.setInt(6, p.historyRetentionSeconds());
            ps.setBoolean(7, p.storePasswords());
            ps.setString(8, p.settings().encode());
            ps.setString(9, p.defaultEndpointSettings().encode());
            Sql.setInstant(ps, 10, p.createdAt());
            Sql.setInstant(ps, 11, p.updatedAt());
            ps.executeUpdate();
        }
    }

    public static void update(Connection c, Project p) throws SQLException {
        try (var ps = c.prepareStatement("update projects set name = ?, history_retention_seconds = ?, settings = ?::jsonb,"
                + " default_endpoint_settings = ?::jsonb, updated_at = ? where id = ?")) {
            ps.setString(1, p.name());
            ps.setInt(2, p.historyRetentionSeconds());
            ps.setString(3, p.settings().encode());
            ps.setString(4, p.defaultEndpointSettings().encode());
            Sql.setInstant(ps, 5, p.updatedAt());
            ps.setString(6, p.id());
            ps.executeUpdate();
        }
    }

    public static Optional<Project> get(Connection c, String id) throws SQLException {
        return one(c, "select * from projects where id = ? and deleted_at is null", id);
    }

    /** Locks the project row: every mutation of a project's tree takes this lock first, so they serialize. */
    public static Optional<Project> lock(Connection c, String id) throws SQLException {
        return one(c, "select * from projects where id = ? and deleted_at is null for update", id);
    }

    public static void markDeleted(Connection c, String id, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("update projects set deleted_at = ?, updated_at = ? where id = ?")) {
            Sql.setInstant(ps, 1, now);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, id);
            ps.executeUpdate();
        }
    }

    public static long countLive(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("select count(*) from projects where deleted_at is null")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * A page of live projects in creation order, after the project {@code cursor} (a project id), optionally
     * restricted to one project (project-scoped keys) and to names containing {@code search}.
     */
    public static List<Project> page(Connection c, Optional<String> cursor, int limit, Optional<String> search,
                                     Optional<String> onlyId) throws SQLException {
        StringBuilder q = new StringBuilder("select * from projects p where deleted_at is null");
        List<String> args = new ArrayList<>();
        if (cursor.isPresent()) {
            q.append(" and seq > coalesce((select seq from projects where id = ?), 0)");
            args.add(cursor.get());
        }
        if (search.isPresent()) {
            q.append(" and (strpos(lower(name), lower(?)) > 0 or id = ?)");
            args.add(search.get());
            args.add(search.get());
        }
        if (onlyId.isPresent()) {
            q.append(" and id = ?");
            args.add(onlyId.get());
        }
        q.append(" order by seq limit ").append(limit);
        List<Project> out = new ArrayList<>();
        try (var ps = c.prepareStatement(q.toString())) {
            for (int i = 0; i < args.size(); i++) ps.setString(i + 1, args.get(i));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    private static Optional<Project> one(Connection c, String sql, String id) throws SQLException {
        try (var ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    private static Project map(ResultSet rs) throws SQLException {
        return new Project(rs.getString("id"), rs.getString("name"), rs.getString("region_id"), rs.getInt("pg_version"),
                Sql.optString(rs, "org_id"), rs.getInt("history_retention_seconds"), rs.getBoolean("store_passwords"),
                Sql.json(rs, "settings"), Sql.json(rs, "default_endpoint_settings"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"));
    }
}
