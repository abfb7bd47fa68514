package dev.arbor.backend.meta;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The metadata database: a small HikariCP pool over pgjdbc. Callers run on virtual threads (never
 * on a Vert.x event loop); {@link #tx} gives them one transaction with retry on serialization
 * failures and deadlocks.
 */
public final class Db implements AutoCloseable {
    private final HikariDataSource ds;

    public Db(String jdbcUrl, String user, String password, int poolSize) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(jdbcUrl);
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(poolSize);
        cfg.setMinimumIdle(1);
        cfg.setPoolName("arbor-metadata");
        cfg.setConnectionTimeout(20_000);
        cfg.setAutoCommit(false);
        cfg.addDataSourceProperty("ApplicationName", "arbor-backend");
        cfg.addDataSourceProperty("tcpKeepAlive", "true");
        this.ds = new HikariDataSource(cfg);
    }

    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction; retries a few times on 40001/40P01. */
    public <T> T tx(Work<T> work) {
        for (int attempt = 0; ; attempt++) {
            try (Connection c = ds.getConnection()) {
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    safeRollback(c);
                    throw e;
                }
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (attempt < 5 && ("40001".equals(state) || "40P01".equals(state))) continue;
                throw new MetadataException(e);
            }
        }
    }

    public boolean healthy() {
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("select 1");
            c.rollback();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void safeRollback(Connection c) {
        try { c.rollback(); } catch (SQLException ignored) { }
    }

    @Override
    public void close() { ds.close(); }

    /** An unexpected metadata-database failure (a bug or an outage, never bad user input). */
    public static final class MetadataException extends RuntimeException {
        public MetadataException(SQLException e) { super("metadata database error: " + e.getMessage(), e); }
    }
}
