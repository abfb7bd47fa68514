package dev.arbor.backend.compute.proxy;

import dev.arbor.backend.compute.process.Scram;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The server side of one SCRAM-SHA-256 or SCRAM-SHA-256-PLUS authentication (RFC 5802/7677; channel binding
 * {@code tls-server-end-point}, RFC 5929), with PostgreSQL's rules: the user name comes from the startup
 * packet, an authzid is refused, and a client that could bind but says it thinks the server cannot ("y")
 * is refused (a downgrade). An unknown role runs a mock exchange that fails at the proof, as postgres does,
 * so a client cannot tell unknown roles from wrong passwords.
 */
final class ScramExchange {
    static final String PLUS = "SCRAM-SHA-256-PLUS";
    static final String PLAIN = "SCRAM-SHA-256";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Why authentication failed; {@code sqlState} 28P01 is postgres' "password authentication failed". */
    static final class Failure extends Exception {
        final String sqlState;
        Failure(String sqlState, String message) {
            super(message, null, false, false);
            this.sqlState = sqlState;
        }
    }

    private final String user;
    private final Scram.Keys keys;      // null: unknown role or no password
    private final byte[] endPoint;      // hash of our TLS certificate; null without TLS
    private String gs2Header;
    private boolean bound;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;

    ScramExchange(String user, Scram.Keys keys, byte[] tlsServerEndPoint) {
        this.user = user;
        this.keys = keys;
        this.endPoint = tlsServerEndPoint;
    }

    /** The mechanisms to offer, best first. */
    String[] mechanisms() { return endPoint != null ? new String[] {PLUS, PLAIN} : new String[] {PLAIN}; }

    /** client-first-message → server-first-message. */
    String first(String mechanism, String clientFirst) throws Failure {
        boolean plus = PLUS.equals(mechanism);
        if (!plus && !PLAIN.equals(mechanism)) throw protocol("client selected an invalid SASL authentication mechanism");
        if (plus && endPoint == null) throw protocol("SCRAM-SHA-256-PLUS needs an SSL connection");
        int c1 = clientFirst.indexOf(',');
        int c2 = c1 < 0 ? -1 : clientFirst.indexOf(',', c1 + 1);
        if (c2 < 0) throw protocol("malformed SCRAM message (no GS2 header)");
        String flag = clientFirst.substring(0, c1);
        if (c2 != c1 + 1) throw protocol("client uses authorization identity, but it is not supported");
        switch (flag) {
            case "n" -> { if (plus) throw protocol("channel binding is required for SCRAM-SHA-256-PLUS"); }
            case "y" -> {
                if (plus) throw protocol("channel binding is required for SCRAM-SHA-256-PLUS");
                if (endPoint != null) throw protocol("SCRAM channel binding negotiation error: "
                        + "the client supports SCRAM-SHA-256-PLUS but thinks the server does not");
            }
            case "p=tls-server-end-point" -> {
                if (!plus) throw protocol("channel binding was requested but SCRAM-SHA-256-PLUS was not selected");
                bound = true;
            }
            default -> throw protocol("unsupported SCRAM channel-binding type or flag \"" + flag + "\"");
        }
        gs2Header = clientFirst.substring(0, c2 + 1);
        clientFirstBare = clientFirst.substring(c2 + 1);
        String clientNonce = attribute(clientFirstBare, 'r');
        if (clientNonce == null || clientNonce.isEmpty()) throw protocol("malformed SCRAM message (no client nonce)");
        byte[] raw = new byte[18];
        RANDOM.nextBytes(raw);
        nonce = clientNonce + Base64.getEncoder().encodeToString(raw);
        Scram.Keys k = keys != null ? keys : mockKeys();
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(k.salt()) + ",i=" + k.iterations();
        return serverFirst;
    }

    /** client-final-message → server-final-message ({@code v=...}), or a failure. */
    String last(String clientFinal) throws Failure {
        if (serverFirst == null) throw protocol("SCRAM final message before the first");
        int p = clientFinal.lastIndexOf(",p=");
        if (p < 0) throw protocol("malformed SCRAM message (no proof)");
        String withoutProof = clientFinal.substring(0, p);
        String cbind = attribute(withoutProof, 'c');
        String r = attribute(withoutProof, 'r');
        if (cbind == null || r == null) throw protocol("malformed SCRAM message");
        byte[] expected = gs2Header.getBytes(StandardCharsets.UTF_8);
        if (bound) expected = concat(expected, endPoint);
        byte[] got;
        try {
            got = Base64.getDecoder().decode(cbind);
        } catch (IllegalArgumentException e) {
            throw protocol("malformed SCRAM message (channel binding)");
        }
        if (!MessageDigest.isEqual(expected, got)) throw new Failure("08P01", "SCRAM channel binding check failed");
        if (!r.equals(nonce)) throw protocol("SCRAM nonce mismatch");
        byte[] proof;
        try {
            proof = Base64.getDecoder().decode(clientFinal.substring(p + 3));
        } catch (IllegalArgumentException e) {
            throw protocol("malformed SCRAM message (proof)");
        }
        if (keys == null || proof.length != 32) throw wrongPassword();
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] clientSignature = Scram.hmac(keys.storedKey(), authMessage);
        byte[] clientKey = new byte[32];
        for (int i = 0; i < 32; i++) clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
        if (!MessageDigest.isEqual(sha256(clientKey), keys.storedKey())) throw wrongPassword();
        return "v=" + Base64.getEncoder().encodeToString(Scram.hmac(keys.serverKey(), authMessage));
    }

    private Failure wrongPassword() {
        return new Failure("28P01", "password authentication failed for user \"" + user + "\"");
    }

    private static Failure protocol(String message) { return new Failure("08P01", message); }

    /** A stable fake salt per user name, so probing cannot tell a missing role by a changing salt. */
    private Scram.Keys mockKeys() {
        byte[] salt = new byte[16];
        System.arraycopy(sha256(("arbor-mock-salt:" + user).getBytes(StandardCharsets.UTF_8)), 0, salt, 0, 16);
        return new Scram.Keys(salt, 4096, new byte[32], new byte[32]);
    }

    private static String attribute(String message, char name) {
        for (String part : message.split(",")) {
            if (part.length() >= 2 && part.charAt(0) == name && part.charAt(1) == '=') return part.substring(2);
        }
        return null;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] sha256(byte[] data) { return digest("SHA-256", data); }

    /**
     * RFC 5929's tls-server-end-point: the certificate hashed with its signature's hash, MD5 and SHA-1
     * upgraded to SHA-256 (what libpq and pgjdbc compute on their side).
     */
    static byte[] tlsServerEndPoint(java.security.cert.X509Certificate cert) throws java.security.cert.CertificateEncodingException {
        String alg = cert.getSigAlgName().toUpperCase();
        String hash = alg.startsWith("SHA384") ? "SHA-384" : alg.startsWith("SHA512") ? "SHA-512" : "SHA-256";
        return digest(hash, cert.getEncoded());
    }

    private static byte[] digest(String alg, byte[] data) {
        try {
            return MessageDigest.getInstance(alg).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
