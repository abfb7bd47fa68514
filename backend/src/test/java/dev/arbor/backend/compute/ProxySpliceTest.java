package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.Procs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy's data phase moves streams far bigger than any socket buffer intact, in both directions, while the far
 * side stalls: over TLS the proxy (Splice) must stop reading the fast side and resume once the slow one drains; in
 * plaintext from this machine the kernel carries the bytes (LocalBypass) and must apply the same backpressure.
 * Nothing may be lost or reordered.
 */
class ProxySpliceTest {
    static final int ROWS = 150_000;  // about 16 MB of COPY text
    static ComputeHarness h;
    static final String EP = "ep-splice";

    @BeforeAll
    static void up() throws Exception {
        h = new ComputeHarness(Duration.ofMinutes(5));
        h.compute.applyConfig(h.endpoint(EP, h.newRoot(), "read_write", -1));
    }

    @AfterAll
    static void down() throws Exception {
        if (h != null) h.close();
    }

    static String copyText() {
        StringBuilder sb = new StringBuilder(ROWS * 110);
        String pad = "x".repeat(100);
        for (int i = 0; i < ROWS; i++) sb.append(i).append('\t').append(pad).append(i % 977).append('\n');
        return sb.toString();
    }

    static ProcessBuilder psql(String uri, String command) {
        var pb = new ProcessBuilder("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", uri, "-c", command);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        return pb;
    }

    @ParameterizedTest(name = "plaintext from this machine: {0}")
    @ValueSource(booleans = {false, true})
    void bigStreamsCrossTheProxyIntactWhileTheOtherSideStalls(boolean plaintext) throws Exception {
        String data = copyText();
        String uri = plaintext ? h.plainUri(EP) : h.uri(EP);
        String table = plaintext ? "splice_plain" : "splice_tls";
        long bypassed = h.proxy.bypassedConnections();
        assertThat(ComputeHarness.psql(uri, "CREATE TABLE " + table + "(i int, t text)").exit()).isZero();

        // upload: postgres stops reading (COPY waits for the table lock) while psql keeps sending
        try (Connection lock = h.jdbc(EP); var st = lock.createStatement()) {
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
            var upload = CompletableFuture.supplyAsync(() -> {
                try {
                    return Procs.run(psql(uri, "\\copy " + table + " FROM pstdin"), data, 300);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(2000);  // let psql fill the socket buffers; not a synchronisation, the result is checked below
            assertThat(upload).isNotDone();
            lock.commit();
            Procs.Result r = upload.get(300, TimeUnit.SECONDS);
            assertThat(r.exit()).as(r.output()).isZero();
        }
        Procs.Result count = ComputeHarness.psql(uri, "SELECT count(*), sum(i)::text FROM " + table);
        assertThat(count.output().trim()).isEqualTo(ROWS + "|" + ((long) ROWS * (ROWS - 1) / 2));

        // download: psql is not read for 2 s, so it stops reading the socket while postgres keeps sending
        Process p = psql(uri, "COPY (SELECT i, t FROM " + table + " ORDER BY i) TO STDOUT").redirectErrorStream(true).start();
        p.getOutputStream().close();
        Thread.sleep(2000);
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream(data.length());
            in.transferTo(buf);
            out = buf.toByteArray();
        }
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        String got = new String(out, StandardCharsets.UTF_8);
        assertThat(got.length()).isEqualTo(data.length());
        assertThat(got.equals(data)).as("the downloaded COPY text equals the uploaded one byte for byte").isTrue();
        // create, upload, count, download: four connections, each through the kernel in plaintext, none over TLS
        assertThat(h.proxy.bypassedConnections() - bypassed).isEqualTo(plaintext ? 4 : 0);
    }
}
