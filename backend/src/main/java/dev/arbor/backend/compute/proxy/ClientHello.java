package dev.arbor.backend.compute.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** The server name (SNI) a TLS ClientHello asks for, read from the first record without ending the session. */
final class ClientHello {
    private ClientHello() {}

    /** @return the host name, lower case; null when the record is no ClientHello, is malformed or names no host */
    static String serverName(byte[] record) {
        try {
            ByteBuffer b = ByteBuffer.wrap(record);
            if (b.get() != 0x16) return null;                 // a handshake record
            b.position(5);
            if (b.get() != 1) return null;                    // ClientHello
            b.position(b.position() + 3 + 2 + 32);            // length, legacy version, random
            skip(b, b.get() & 0xff);                          // session id
            skip(b, b.getShort() & 0xffff);                   // cipher suites
            skip(b, b.get() & 0xff);                          // compression methods
            int extensions = b.getShort() & 0xffff;
            int end = b.position() + extensions;
            while (b.position() + 4 <= end) {
                int type = b.getShort() & 0xffff, len = b.getShort() & 0xffff;
                if (type != 0) {                              // not server_name
                    skip(b, len);
                    continue;
                }
                b.getShort();                                 // server name list length
                if (b.get() != 0) return null;                // host_name is the only type defined
                byte[] name = new byte[b.getShort() & 0xffff];
                b.get(name);
                return new String(name, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
            }
            return null;
        } catch (RuntimeException e) {
            return null;  // truncated or malformed: the TLS engine that ends the session reports it
        }
    }

    /** Skips {@code n} bytes; a length is read before the position it is added to moves. */
    private static void skip(ByteBuffer b, int n) { b.position(b.position() + n); }
}
