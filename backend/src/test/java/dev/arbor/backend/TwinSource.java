package dev.arbor.backend;

import dev.arbor.backend.pg.PgBinaries;
import dev.arbor.backend.pg.PgCluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Comparator;

/**
 * The "production" database of a twin-import test: a plain local PostgreSQL cluster (run as the postgres OS
 * user when root) with customers, orders (foreign key, index) and a sequence.
 */
final class TwinSource implements AutoCloseable {
    final int customers;
    final int orders;
    private final Path dir;
    private final PgCluster cluster;

    private TwinSource(Path dir, PgCluster cluster, int customers, int orders) {
        this.dir = dir;
        this.cluster = cluster;
        this.customers = customers;
        this.orders = orders;
    }

    static TwinSource start(int customers, int orders) throws Exception {
        Path dir = TestServer.newDir();
        PgCluster c = new PgCluster(dir.resolve("source"), PgBinaries.locate()).start();
        TwinSource s = new TwinSource(dir, c, customers, orders);
        try (Connection conn = s.connect(); var st = conn.createStatement()) {
            st.execute("create table customers (id serial primary key, name text not null, email text unique)");
            st.execute("create table orders (id bigserial primary key, customer_id int not null references customers(id),"
                    + " amount numeric(10,2) not null, placed_at timestamptz not null default now())");
            st.execute("create index orders_by_customer on orders(customer_id)");
            st.execute("create sequence invoice_no start 1000");
            st.execute("insert into customers(name, email) select 'c' || g, 'c' || g || '@example.com' from generate_series(1, " + customers + ") g");
            st.execute("insert into orders(customer_id, amount) select 1 + g % " + customers + ", g * 1.5 from generate_series(1, " + orders + ") g");
            st.execute("select nextval('invoice_no') from generate_series(1, 7)");
        }
        return s;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(cluster.jdbcUrl(PgCluster.DATABASE), PgCluster.SUPERUSER, cluster.password());
    }

    String password() { return cluster.password(); }

    int port() { return cluster.port(); }

    /** {@code postgresql://arbor:<password>@127.0.0.1:<port>/arbor?sslmode=disable}. */
    String url() {
        return "postgresql://" + PgCluster.SUPERUSER + ":" + cluster.password() + "@127.0.0.1:" + cluster.port() + "/" + PgCluster.DATABASE
                + "?sslmode=disable";
    }

    void exec(String sql) throws SQLException {
        try (Connection c = connect(); var st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @Override
    public void close() throws IOException {
        cluster.close();
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
