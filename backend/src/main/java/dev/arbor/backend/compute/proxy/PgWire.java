package dev.arbor.backend.compute.proxy;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The few PostgreSQL wire-protocol (v3) messages the proxy reads or writes itself. */
final class PgWire {
    static final int PROTOCOL_3 = 196608;
    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;
    static final int CANCEL_REQUEST = 80877102;
    /** Startup packets are small; anything bigger is not a PostgreSQL client. */
    static final int MAX_STARTUP = 10_000;

    private PgWire() {}

    /** An SSLRequest, as a client sends it before a TLS handshake. */
    static Buffer sslRequest() { return Buffer.buffer().appendInt(8).appendInt(SSL_REQUEST); }

    /** The TCP port of the postgres behind a unix socket: postgres names it {@code .s.PGSQL.<port>} and listens on 127.0.0.1 there too. */
    static int portOfSocket(Path socket) {
        String name = socket.getFileName().toString();
        if (!name.startsWith(".s.PGSQL.")) throw new IllegalArgumentException("not a postgres socket: " + socket);
        return Integer.parseInt(name.substring(".s.PGSQL.".length()));
    }

    /** Startup message parameters (user, database, options, ...), in order. */
    static Map<String, String> startupParams(Buffer packet) {
        Map<String, String> params = new LinkedHashMap<>();
        int pos = 8;
        while (pos < packet.length() - 1) {
            String k = cstring(packet, pos);
            pos += k.getBytes(StandardCharsets.UTF_8).length + 1;
            if (k.isEmpty()) break;
            String v = cstring(packet, pos);
            pos += v.getBytes(StandardCharsets.UTF_8).length + 1;
            params.put(k, v);
        }
        return params;
    }

    static Buffer startupMessage(Map<String, String> params) {
        Buffer body = Buffer.buffer();
        body.appendInt(0).appendInt(PROTOCOL_3);
        params.forEach((k, v) -> body.appendString(k, "UTF-8").appendByte((byte) 0).appendString(v, "UTF-8").appendByte((byte) 0));
        body.appendByte((byte) 0);
        body.setInt(0, body.length());
        return body;
    }

    /** An ErrorResponse as postgres sends it before authentication; clients show "FATAL: message". */
    static Buffer fatal(String sqlState, String message) {
        Buffer body = Buffer.buffer();
        field(body, 'S', "FATAL");
        field(body, 'V', "FATAL");
        field(body, 'C', sqlState);
        field(body, 'M', message);
        body.appendByte((byte) 0);
        return Buffer.buffer().appendByte((byte) 'E').appendInt(body.length() + 4).appendBuffer(body);
    }

    /** AuthenticationSASL: the mechanisms the client may choose from. */
    static Buffer authSasl(String... mechanisms) {
        Buffer body = Buffer.buffer().appendInt(10);
        for (String m : mechanisms) body.appendString(m, "UTF-8").appendByte((byte) 0);
        body.appendByte((byte) 0);
        return message('R', body);
    }

    /** AuthenticationOk. */
    static Buffer authOk() { return message('R', Buffer.buffer().appendInt(0)); }

    /** AuthenticationSASLContinue (11) or AuthenticationSASLFinal (12) with SCRAM data. */
    static Buffer authSaslData(int code, String data) {
        return message('R', Buffer.buffer().appendInt(code).appendString(data, "UTF-8"));
    }

    static Buffer message(char type, Buffer body) {
        return Buffer.buffer().appendByte((byte) type).appendInt(body.length() + 4).appendBuffer(body);
    }

    /** SASLInitialResponse payload: the chosen mechanism and the client-first-message. */
    record SaslInitial(String mechanism, String data) {}

    static SaslInitial saslInitial(Buffer payload) {
        String mech = cstring(payload, 0);
        int pos = mech.getBytes(StandardCharsets.UTF_8).length + 1;
        if (pos + 4 > payload.length()) throw new IllegalArgumentException("malformed SASLInitialResponse");
        int len = payload.getInt(pos);
        if (len < 0 || pos + 4 + len > payload.length()) throw new IllegalArgumentException("malformed SASLInitialResponse");
        return new SaslInitial(mech, payload.getString(pos + 4, pos + 4 + len, "UTF-8"));
    }

    private static void field(Buffer b, char type, String value) {
        b.appendByte((byte) type).appendString(value, "UTF-8").appendByte((byte) 0);
    }

    private static String cstring(Buffer b, int from) {
        int end = from;
        while (end < b.length() && b.getByte(end) != 0) end++;
        return b.getString(from, end, "UTF-8");
    }
}
