package dev.arbor.backend.cluster;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** SQL over {@code nodes} and {@code project_leases} (V6). Every time is the database's {@code now()}. */
final class ProjectLeases {
    private ProjectLeases() {}

    /** Outcome of {@link #claim}. */
    sealed interface Claim {
        /** This node holds the lease; {@code keepLocal}: nobody else held it since this node did (its disk is current). */
        record Won(long generation, boolean keepLocal) implements Claim {}
        /** No such project (not even deleted): nothing to serve, and no lease row for a made-up id. */
        record Unknown() implements Claim {}
        /** Another node holds a live lease. */
        record HeldBy(String nodeId, String apiUrl, String proxyHost, int proxyPort) implements Claim {}
    }

    static void register(Connection c, String nodeId, String apiUrl, String proxyHost, int proxyPort) throws SQLException {
        try (var ps = c.prepareStatement("""
                insert into nodes (node_id, api_url, proxy_host, proxy_port) values (?, ?, ?, ?)
                on conflict (node_id) do update set api_url = excluded.api_url, proxy_host = excluded.proxy_host,
                    proxy_port = excluded.proxy_port, started_at = now(), heartbeat_at = now()""")) {
            ps.setString(1, nodeId);
            ps.setString(2, apiUrl);
            ps.setString(3, proxyHost);
            ps.setInt(4, proxyPort);
            ps.executeUpdate();
        }
    }

    /** Takes the project's lease if it is free, expired or already ours (then renewed). */
    static Claim claim(Connection c, String projectId, String nodeId, Duration ttl) throws SQLException {
        try (var ps = c.prepareStatement("select 1 from projects where id = ?")) {
            ps.setString(1, projectId);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) return new Claim.Unknown();
            }
        }
        try (var ps = c.prepareStatement("""
                select l.node_id, l.generation, l.expires_at < now(), n.api_url, n.proxy_host, n.proxy_port
                from project_leases l left join nodes n on n.node_id = l.node_id
                where l.project_id = ? for update of l""")) {
            ps.setString(1, projectId);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) {
                    try (var ins = c.prepareStatement("""
                            insert into project_leases (project_id, node_id, generation, expires_at)
                            values (?, ?, 1, now() + ? * interval '1 millisecond') on conflict (project_id) do nothing""")) {
                        ins.setString(1, projectId);
                        ins.setString(2, nodeId);
                        ins.setLong(3, ttl.toMillis());
                        if (ins.executeUpdate() == 1) return new Claim.Won(1, false);
                    }
                    return claim(c, projectId, nodeId, ttl);  // another node inserted first: now there is a row to lock
                }
                String holder = rs.getString(1);
                long generation = rs.getLong(2);
                boolean expired = rs.getBoolean(3);
                boolean mine = holder.equals(nodeId);
                if (!mine && !expired) return new Claim.HeldBy(holder, rs.getString(4), rs.getString(5), rs.getInt(6));
                long next = mine && !expired ? generation : generation + 1;
                try (var up = c.prepareStatement("""
                        update project_leases set node_id = ?, generation = ?, expires_at = now() + ? * interval '1 millisecond'
                        where project_id = ?""")) {
                    up.setString(1, nodeId);
                    up.setLong(2, next);
                    up.setLong(3, ttl.toMillis());
                    up.setString(4, projectId);
                    up.executeUpdate();
                }
                return new Claim.Won(next, mine);
            }
        }
    }

    /**
     * Renews every lease this node still holds (and its heartbeat); returns their projects. An expired lease
     * nobody took is still this node's row, and nobody else wrote the project since: it is renewed too.
     */
    static Set<String> renew(Connection c, String nodeId, Duration ttl) throws SQLException {
        try (var ps = c.prepareStatement("update nodes set heartbeat_at = now() where node_id = ?")) {
            ps.setString(1, nodeId);
            ps.executeUpdate();
        }
        Set<String> held = new HashSet<>();
        try (var ps = c.prepareStatement("""
                update project_leases set expires_at = now() + ? * interval '1 millisecond'
                where node_id = ? returning project_id""")) {
            ps.setLong(1, ttl.toMillis());
            ps.setString(2, nodeId);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) held.add(rs.getString(1));
            }
        }
        return held;
    }

    /** Live projects nobody serves: leases expired, or never taken (projects created before cluster mode). */
    static List<String> orphaned(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (var st = c.createStatement(); var rs = st.executeQuery("""
                select p.id from projects p left join project_leases l on l.project_id = p.id
                where p.deleted_at is null and (l.project_id is null or l.expires_at < now()) order by p.created_at""")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    /** Gives the leases back at once (orderly shutdown), so other nodes need not wait for them to expire. */
    static void releaseAll(Connection c, String nodeId, Set<String> projects) throws SQLException {
        try (var ps = c.prepareStatement("update project_leases set expires_at = now() - interval '1 millisecond' "
                + "where node_id = ? and project_id = any (?)")) {
            ps.setString(1, nodeId);
            ps.setArray(2, c.createArrayOf("text", projects.toArray()));
            ps.executeUpdate();
        }
    }
}
