package dev.arbor.backend.iac;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL for {@code terraform_states} / {@code terraform_state_versions}. Every mutation first locks the
 * state's row ({@code for update}), so lock, write and unlock calls on one state serialize.
 */
public final class TerraformStates {
    /** Versions kept per state; older ones are pruned when a new one is stored. */
    public static final int KEEP_VERSIONS = 100;

    private TerraformStates() {}

    public record Current(StateVersion version, byte[] body) {}

    private record Row(String lockId, String lockInfo) {}

    /** The row for this state, created (unlocked, no versions) if missing, locked for this transaction. */
    private static Row lockRow(Connection c, String project, String name) throws SQLException {
        try (var ps = c.prepareStatement("insert into terraform_states (project_id, name) values (?, ?) on conflict do nothing")) {
            ps.setString(1, project);
            ps.setString(2, name);
            ps.executeUpdate();
        }
        return existingRow(c, project, name).orElseThrow();
    }

    private static Optional<Row> existingRow(Connection c, String project, String name) throws SQLException {
        try (var ps = c.prepareStatement("select lock_id, lock_info from terraform_states where project_id = ? and name = ? for update")) {
            ps.setString(1, project);
            ps.setString(2, name);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Row(rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        }
    }

    public static Optional<Current> latest(Connection c, String project, String name) throws SQLException {
        return body(c, project, name, "order by version desc limit 1", null);
    }

    public static Optional<Current> version(Connection c, String project, String name, int version) throws SQLException {
        return body(c, project, name, "and version = ?", version);
    }

    private static Optional<Current> body(Connection c, String project, String name, String tail, Integer version) throws SQLException {
        try (var ps = c.prepareStatement("select * from terraform_state_versions where project_id = ? and name = ? " + tail)) {
            ps.setString(1, project);
            ps.setString(2, name);
            if (version != null) ps.setInt(3, version);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Current(map(rs), rs.getBytes("body"))) : Optional.empty();
            }
        }
    }

    /** Newest first. */
    public static List<StateVersion> versions(Connection c, String project, String name) throws SQLException {
        List<StateVersion> out = new ArrayList<>();
        try (var ps = c.prepareStatement("select version, serial, lineage, md5, size_bytes, created_at from terraform_state_versions"
                + " where project_id = ? and name = ? order by version desc")) {
            ps.setString(1, project);
            ps.setString(2, name);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(map(rs));
            }
        }
        return out;
    }

    public static boolean exists(Connection c, String project, String name) throws SQLException {
        try (var ps = c.prepareStatement("select 1 from terraform_states where project_id = ? and name = ?")) {
            ps.setString(1, project);
            ps.setString(2, name);
            try (var rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The holder's LockInfo JSON, if locked. */
    public static Optional<String> lockInfo(Connection c, String project, String name) throws SQLException {
        try (var ps = c.prepareStatement("select lock_info from terraform_states where project_id = ? and name = ? and lock_id is not null")) {
            ps.setString(1, project);
            ps.setString(2, name);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /**
     * Stores {@code body} as the next version. While the state is locked only the holder may write
     * ({@code lockId} = its ID); a lock ID on an unlocked state is refused too, since its holder lost the lock.
     */
    public static StateOutcome write(Connection c, String project, String name, Optional<String> lockId, byte[] body,
                                     String md5Hex, Optional<Long> serial, Optional<String> lineage, long keyId) throws SQLException {
        Row row = lockRow(c, project, name);
        StateOutcome refused = checkHolder(row, lockId);
        if (refused != null) return refused;
        Optional<StateVersion> last = versions(c, project, name).stream().findFirst();
        if (last.isPresent() && last.get().md5Hex().equals(md5Hex)) return new StateOutcome.Stored(last.get(), true);
        int next = last.map(v -> v.version() + 1).orElse(1);
        StateVersion stored;
        try (var ps = c.prepareStatement("insert into terraform_state_versions (project_id, name, version, serial, lineage, md5,"
                + " size_bytes, body, created_by_key) values (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " returning version, serial, lineage, md5, size_bytes, created_at")) {
            ps.setString(1, project);
            ps.setString(2, name);
            ps.setInt(3, next);
            if (serial.isPresent()) ps.setLong(4, serial.get()); else ps.setNull(4, java.sql.Types.BIGINT);
            ps.setString(5, lineage.orElse(null));
            ps.setString(6, md5Hex);
            ps.setInt(7, body.length);
            ps.setBytes(8, body);
            ps.setLong(9, keyId);
            try (var rs = ps.executeQuery()) {
                rs.next();
                stored = map(rs);
            }
        }
        try (var ps = c.prepareStatement("delete from terraform_state_versions where project_id = ? and name = ? and version <= ?")) {
            ps.setString(1, project);
            ps.setString(2, name);
            ps.setInt(3, next - KEEP_VERSIONS);
            ps.executeUpdate();
        }
        touch(c, project, name);
        return new StateOutcome.Stored(stored, false);
    }

    /** Takes the lock; idempotent for the same ID (a retried LOCK). */
    public static StateOutcome lock(Connection c, String project, String name, String lockId, String lockInfo) throws SQLException {
        Row row = lockRow(c, project, name);
        if (row.lockId() != null) {
            return row.lockId().equals(lockId) ? new StateOutcome.Locked(row.lockInfo()) : new StateOutcome.HeldBy(row.lockInfo());
        }
        try (var ps = c.prepareStatement("update terraform_states set lock_id = ?, lock_info = ?, locked_at = now(), updated_at = now()"
                + " where project_id = ? and name = ?")) {
            ps.setString(1, lockId);
            ps.setString(2, lockInfo);
            ps.setString(3, project);
            ps.setString(4, name);
            ps.executeUpdate();
        }
        return new StateOutcome.Locked(lockInfo);
    }

    /**
     * Releases the lock. {@code lockId} empty = force unlock (what {@code terraform force-unlock} sends:
     * an UNLOCK without a body); otherwise it must name the holder.
     */
    public static StateOutcome unlock(Connection c, String project, String name, Optional<String> lockId) throws SQLException {
        Optional<Row> row = existingRow(c, project, name);
        if (row.isEmpty() || row.get().lockId() == null) return new StateOutcome.Unlocked(false);
        if (lockId.isPresent() && !lockId.get().equals(row.get().lockId())) return new StateOutcome.HeldBy(row.get().lockInfo());
        try (var ps = c.prepareStatement("update terraform_states set lock_id = null, lock_info = null, locked_at = null, updated_at = now()"
                + " where project_id = ? and name = ?")) {
            ps.setString(1, project);
            ps.setString(2, name);
            ps.executeUpdate();
        }
        return new StateOutcome.Unlocked(true);
    }

    /** Purges the state and its versions; refused while someone else holds the lock. */
    public static StateOutcome delete(Connection c, String project, String name, Optional<String> lockId) throws SQLException {
        Optional<Row> row = existingRow(c, project, name);
        if (row.isEmpty()) return new StateOutcome.Deleted(false);
        if (row.get().lockId() != null && !lockId.equals(Optional.of(row.get().lockId()))) return new StateOutcome.HeldBy(row.get().lockInfo());
        try (var ps = c.prepareStatement("delete from terraform_states where project_id = ? and name = ?")) {
            ps.setString(1, project);
            ps.setString(2, name);
            ps.executeUpdate();
        }
        return new StateOutcome.Deleted(true);
    }

    private static StateOutcome checkHolder(Row row, Optional<String> lockId) {
        if (row.lockId() != null && !lockId.equals(Optional.of(row.lockId()))) return new StateOutcome.HeldBy(row.lockInfo());
        if (row.lockId() == null && lockId.isPresent()) return new StateOutcome.NotLocked(lockId.get());
        return null;
    }

    private static void touch(Connection c, String project, String name) throws SQLException {
        try (var ps = c.prepareStatement("update terraform_states set updated_at = now() where project_id = ? and name = ?")) {
            ps.setString(1, project);
            ps.setString(2, name);
            ps.executeUpdate();
        }
    }

    private static StateVersion map(ResultSet rs) throws SQLException {
        long serial = rs.getLong("serial");
        Optional<Long> s = rs.wasNull() ? Optional.empty() : Optional.of(serial);
        Timestamp t = rs.getTimestamp("created_at");
        return new StateVersion(rs.getInt("version"), s, Optional.ofNullable(rs.getString("lineage")), rs.getString("md5"),
                rs.getInt("size_bytes"), t.toInstant());
    }
}
