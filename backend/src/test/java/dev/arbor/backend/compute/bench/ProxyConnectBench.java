package dev.arbor.backend.compute.bench;

import dev.arbor.backend.compute.EndpointStatus;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cost of a new connection: {@code pgbench -C -S} (a fresh connection per transaction) on a running endpoint,
 * through the proxy with the URI neonctl prints (TLS, SCRAM-SHA-256-PLUS in the proxy) and directly on the
 * endpoint's loopback port (no TLS, SCRAM in postgres). Run with and without {@code -Darbor.proxy.jdkTls=true}
 * to compare the JDK's TLS engine with BoringSSL: {@code scripts/bench-compute --connect}.
 */
public final class ProxyConnectBench {
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");

    public static void main(String[] args) throws Exception {
        try (ComputeBench b = new ComputeBench()) {
            b.dataset("ep-connect", 1);
            int port = ((EndpointStatus.Running) b.cm.status("ep-connect")).port();
            String seconds = Integer.toString(b.seconds);
            double viaProxy = 0, direct = 0;
            for (int round = 0; round < 2; round++) {  // the first round warms the proxy's code paths
                viaProxy = tps(b, List.of("-n", "-C", "-S", "-c", "2", "-j", "2", "-T", seconds, b.uri("ep-connect")));
                direct = tps(b, List.of("-n", "-C", "-S", "-c", "2", "-j", "2", "-T", seconds, ComputeBench.direct(port)));
            }
            System.out.printf("new connection + SELECT (pgbench -C -S -c 2, %s s), TLS engine %s: via proxy %.0f/s (%.1f ms each),"
                            + " direct %.0f/s (%.1f ms each)%n", seconds,
                    Boolean.getBoolean("arbor.proxy.jdkTls") ? "JDK" : "BoringSSL", viaProxy, 2000 / viaProxy, direct, 2000 / direct);
        }
        System.exit(0);
    }

    private static double tps(ComputeBench b, List<String> args) throws Exception {
        Matcher m = TPS.matcher(ComputeBench.client("pgbench", args).output());
        if (!m.find()) throw new IllegalStateException("no tps in pgbench output");
        return Double.parseDouble(m.group(1));
    }
}
