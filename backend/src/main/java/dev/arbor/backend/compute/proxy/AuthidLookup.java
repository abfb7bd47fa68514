package dev.arbor.backend.compute.proxy;

import dev.arbor.backend.compute.process.ClusterTemplate;
import dev.arbor.backend.compute.process.Scram;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads one role's login secret from a running endpoint's {@code pg_authid}, as the superuser over its private
 * unix socket (trusted), so the proxy checks a client against exactly what postgres would: roles created with
 * SQL and passwords changed with {@code ALTER ROLE} included. A few wire-protocol messages on the event loop,
 * the role name bound as a parameter (never spliced into SQL). The verifier is never logged.
 */
final class AuthidLookup {
    /** Postgres' own rule: past {@code VALID UNTIL} the password is treated as absent. */
    private static final String QUERY = "SELECT rolpassword, rolcanlogin, coalesce(rolvaliduntil < now(), false) "
            + "FROM pg_catalog.pg_authid WHERE rolname = $1";
    private static final long TIMEOUT_MS = 60_000;

    /**
     * A role's login secret. {@code keys} is null when the role does not exist, has no SCRAM verifier (an md5
     * hash or no password) or its password expired: the exchange then fails at the proof, as in postgres.
     */
    record RoleSecret(Scram.Keys keys, boolean canLogin) {
        static final RoleSecret NONE = new RoleSecret(null, false);
        @Override public String toString() { return "RoleSecret[canLogin=" + canLogin + "]"; }
    }

    private AuthidLookup() {}

    static Future<RoleSecret> lookup(Vertx vertx, NetClient client, Path socket, String role) {
        Promise<RoleSecret> result = Promise.promise();
        client.connect(SocketAddress.domainSocketAddress(socket.toString())).onComplete(c -> {
            if (c.failed()) {
                result.fail(c.cause());
                return;
            }
            NetSocket s = c.result();
            long timer = vertx.setTimer(TIMEOUT_MS, t -> result.tryFail("reading the role from pg_authid timed out"));
            result.future().onComplete(x -> { vertx.cancelTimer(timer); s.close(); });
            new Session(s, role, result).begin();
        });
        return result.future();
    }

    /** One superuser session: startup, one parameterized query, terminate. */
    private static final class Session {
        private final NetSocket socket;
        private final String role;
        private final Promise<RoleSecret> result;
        private Buffer pending = Buffer.buffer();
        private boolean queried;
        private RoleSecret row = RoleSecret.NONE;

        Session(NetSocket socket, String role, Promise<RoleSecret> result) {
            this.socket = socket;
            this.role = role;
            this.result = result;
        }

        void begin() {
            socket.handler(this::onData);
            socket.exceptionHandler(result::tryFail);
            socket.closeHandler(v -> result.tryFail("the endpoint closed the connection while reading pg_authid"));
            socket.write(PgWire.startupMessage(Map.of("user", ClusterTemplate.ADMIN_ROLE, "database", "postgres",
                    "application_name", "arbor-proxy", "client_encoding", "UTF8")));
        }

        private void onData(Buffer data) {
            pending.appendBuffer(data);
            while (pending.length() >= 5 && !result.future().isComplete()) {
                int len = pending.getInt(1);
                if (pending.length() < len + 1) return;
                byte type = pending.getByte(0);
                Buffer body = pending.getBuffer(5, len + 1);
                pending = pending.getBuffer(len + 1, pending.length());
                message(type, body);
            }
        }

        private void message(byte type, Buffer body) {
            switch (type) {
                case 'R' -> {
                    if (body.getInt(0) != 0) result.tryFail("the endpoint asked the proxy for a password on its private socket");
                }
                case 'E' -> result.tryFail("reading the role from pg_authid failed: " + errorMessage(body));
                case 'D' -> row = dataRow(body);
                case 'Z' -> {
                    if (!queried) {
                        queried = true;
                        socket.write(query());
                    } else {
                        socket.write(PgWire.message('X', Buffer.buffer()));
                        result.tryComplete(row);
                    }
                }
                default -> { } // ParameterStatus, BackendKeyData, ParseComplete, BindComplete, CommandComplete, notices
            }
        }

        private Buffer query() {
            Buffer parse = Buffer.buffer().appendByte((byte) 0).appendString(QUERY, "UTF-8").appendByte((byte) 0).appendShort((short) 0);
            byte[] name = role.getBytes(StandardCharsets.UTF_8);
            Buffer bind = Buffer.buffer().appendByte((byte) 0).appendByte((byte) 0)
                    .appendShort((short) 0)                       // parameters in text format
                    .appendShort((short) 1).appendInt(name.length).appendBytes(name)
                    .appendShort((short) 0);                      // results in text format
            Buffer execute = Buffer.buffer().appendByte((byte) 0).appendInt(0);
            return Buffer.buffer().appendBuffer(PgWire.message('P', parse)).appendBuffer(PgWire.message('B', bind))
                    .appendBuffer(PgWire.message('E', execute)).appendBuffer(PgWire.message('S', Buffer.buffer()));
        }

        private static RoleSecret dataRow(Buffer body) {
            String[] cols = new String[3];
            int pos = 2;
            for (int i = 0; i < cols.length && i < body.getShort(0); i++) {
                int n = body.getInt(pos);
                pos += 4;
                if (n >= 0) {
                    cols[i] = body.getString(pos, pos + n, "UTF-8");
                    pos += n;
                }
            }
            boolean expired = "t".equals(cols[2]);
            Scram.Keys keys = expired ? null : Scram.parseVerifier(cols[0]).orElse(null);
            return new RoleSecret(keys, "t".equals(cols[1]));
        }

        /** The M field of an ErrorResponse (it never carries the verifier: the query has none in it). */
        private static String errorMessage(Buffer body) {
            int pos = 0;
            while (pos < body.length() && body.getByte(pos) != 0) {
                byte field = body.getByte(pos++);
                int end = pos;
                while (end < body.length() && body.getByte(end) != 0) end++;
                if (field == 'M') return body.getString(pos, end, "UTF-8");
                pos = end + 1;
            }
            return "unknown error";
        }
    }
}
