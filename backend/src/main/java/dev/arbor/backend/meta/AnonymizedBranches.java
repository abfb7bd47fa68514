package dev.arbor.backend.meta;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The anonymized_branches table: which branches are anonymized, from which source, and how far the job got. */
public final class AnonymizedBranches {
    private AnonymizedBranches() {}

    public enum State { created, initialized, anonymizing, anonymized, error }

    public record Anonymized(String branchId, String projectId, String sourceBranchId, State state, String statusMessage,
                             Instant createdAt, Instant updatedAt, Optional<Instant> failedAt, JsonObject lastRun) {}

    public static void insert(Connection c, String branchId, String projectId, String sourceBranchId, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("insert into anonymized_branches (branch_id, project_id, source_branch_id, state,"
                + " status_message, created_at, updated_at) values (?,?,?,'created','',?,?)")) {
            ps.setString(1, branchId);
            ps.setString(2, projectId);
            ps.setString(3, sourceBranchId);
            Sql.setInstant(ps, 4, now);
            Sql.setInstant(ps, 5, now);
            ps.executeUpdate();
        }
    }

    public static Optional<Anonymized> get(Connection c, String branchId) throws SQLException {
        try (var ps = c.prepareStatement("select * from anonymized_branches where branch_id = ?")) {
            ps.setString(1, branchId);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return Optional.of(new Anonymized(rs.getString("branch_id"), rs.getString("project_id"),
                        rs.getString("source_branch_id"), State.valueOf(rs.getString("state")), rs.getString("status_message"),
                        Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), Sql.optInstant(rs, "failed_at"),
                        Sql.json(rs, "last_run")));
            }
        }
    }

    public static boolean isAnonymized(Connection c, String branchId) throws SQLException {
        return get(c, branchId).isPresent();
    }

    /** Moves to {@code state}; {@code lastRun} (may be null: unchanged) and failed_at (set on error) go with it. */
    public static void setState(Connection c, String branchId, State state, String message, JsonObject lastRun, Instant now)
            throws SQLException {
        try (var ps = c.prepareStatement("update anonymized_branches set state = ?, status_message = ?, updated_at = ?,"
                + " failed_at = case when ? then ? else failed_at end, last_run = coalesce(?::jsonb, last_run) where branch_id = ?")) {
            ps.setString(1, state.name());
            ps.setString(2, message);
            Sql.setInstant(ps, 3, now);
            ps.setBoolean(4, state == State.error);
            Sql.setInstant(ps, 5, now);
            Sql.setString(ps, 6, lastRun == null ? null : lastRun.encode());
            ps.setString(7, branchId);
            ps.executeUpdate();
        }
    }

    /** Progress only: never moves the state. */
    public static void setMessage(Connection c, String branchId, String message, Instant now) throws SQLException {
        try (var ps = c.prepareStatement("update anonymized_branches set status_message = ?, updated_at = ? where branch_id = ?")) {
            ps.setString(1, message);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, branchId);
            ps.executeUpdate();
        }
    }

    /** The project's encrypted masking key, created (with {@code newEnc}) the first time. */
    public static String keyEnc(Connection c, String projectId, java.util.function.Supplier<String> newEnc) throws SQLException {
        try (var ps = c.prepareStatement("insert into project_masking_keys (project_id, key_enc, created_at) values (?,?,?)"
                + " on conflict (project_id) do nothing")) {
            ps.setString(1, projectId);
            ps.setString(2, newEnc.get());
            Sql.setInstant(ps, 3, Instant.now());
            ps.executeUpdate();
        }
        try (var ps = c.prepareStatement("select key_enc from project_masking_keys where project_id = ?")) {
            ps.setString(1, projectId);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** A private endpoint (and the scratch timeline it runs on, if any) that an anonymization or rules check created. */
    public record Scratch(String endpointId, Optional<String> timelineId) {}

    /** Records {@code endpointId} before its endpoint starts, so a crash cannot leak its directory unnoticed. */
    public static void addScratch(Connection c, String endpointId) throws SQLException {
        try (var ps = c.prepareStatement("insert into anon_scratch (endpoint_id, created_at) values (?, ?)"
                + " on conflict (endpoint_id) do nothing")) {
            ps.setString(1, endpointId);
            Sql.setInstant(ps, 2, Instant.now());
            ps.executeUpdate();
        }
    }

    /** Records the scratch timeline created for {@code endpointId} (right after it was created). */
    public static void setScratchTimeline(Connection c, String endpointId, String timelineId) throws SQLException {
        try (var ps = c.prepareStatement("update anon_scratch set timeline_id = ? where endpoint_id = ?")) {
            Sql.setString(ps, 1, timelineId);
            ps.setString(2, endpointId);
            ps.executeUpdate();
        }
    }

    public static void removeScratch(Connection c, String endpointId) throws SQLException {
        try (var ps = c.prepareStatement("delete from anon_scratch where endpoint_id = ?")) {
            ps.setString(1, endpointId);
            ps.executeUpdate();
        }
    }

    public static List<Scratch> scratch(Connection c) throws SQLException {
        List<Scratch> out = new ArrayList<>();
        try (var ps = c.prepareStatement("select endpoint_id, timeline_id from anon_scratch order by created_at");
             var rs = ps.executeQuery()) {
            while (rs.next()) out.add(new Scratch(rs.getString(1), Optional.ofNullable(rs.getString(2))));
        }
        return out;
    }
}
