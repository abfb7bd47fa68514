package dev.arbor.backend.anon;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * The per-project masking secret. Every masked value is a pure function of (this key, generator, original
 * value), which is what keeps joins intact across tables and reruns. Per-value seeds come from SipHash-2-4
 * (a keyed PRF, like HMAC but ~20x cheaper on short inputs) under a sub-key derived once with HMAC-SHA256;
 * {@code anon.hash} uses a real salted SHA-256 instead. The key never appears in toString/logs.
 */
public final class MaskingKey {
    private final byte[] secret;
    private final long k0;
    private final long k1;

    private MaskingKey(byte[] secret) {
        if (secret.length < 16) throw new IllegalArgumentException("masking key needs at least 16 bytes");
        this.secret = secret.clone();
        byte[] sub = hmac(this.secret, "arbor-anon-v1/siphash".getBytes(StandardCharsets.UTF_8));
        this.k0 = le64(sub, 0);
        this.k1 = le64(sub, 8);
    }

    public static MaskingKey of(byte[] secret) { return new MaskingKey(secret); }

    public static MaskingKey generate() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return new MaskingKey(b);
    }

    /** The raw secret, for the caller to persist (e.g. per project in the metadata database). */
    public byte[] secret() { return secret.clone(); }

    /** Per-thread message buffer: a seed is computed for every masked value, so it must not allocate. */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[256]);

    /** A 64-bit seed for generator {@code tag} applied to {@code input}. */
    public long seed(String tag, String input) {
        // message = tag 0x00 utf8(input) flag; ASCII inputs (the common case) are copied in one pass, no allocation
        int tl = tag.length();
        int il = input == null ? 0 : input.length();
        byte[] m = SCRATCH.get();
        if (m.length < tl + il + 2) {
            m = new byte[Math.max(tl + il + 2, m.length * 2)];
            SCRATCH.set(m);
        }
        for (int i = 0; i < tl; i++) m[i] = (byte) tag.charAt(i); // tags are ASCII constants
        m[tl] = 0;
        int p = tl + 1;
        for (int i = 0; i < il; i++) {
            char ch = input.charAt(i);
            if (ch >= 0x80) return seedUtf8(m, tl, input);
            m[p++] = (byte) ch;
        }
        m[p++] = (byte) (input == null ? 1 : 0); // NULL and '' differ
        return SipHash.hash(k0, k1, m, 0, p);
    }

    private long seedUtf8(byte[] scratch, int tl, String input) {
        byte[] v = input.getBytes(StandardCharsets.UTF_8);
        byte[] m = new byte[tl + 1 + v.length + 1];
        System.arraycopy(scratch, 0, m, 0, tl + 1);
        System.arraycopy(v, 0, m, tl + 1, v.length);
        m[m.length - 1] = 0;
        return SipHash.hash(k0, k1, m, 0, m.length);
    }

    /** HMAC-SHA256(secret, data): the salt used by {@code anon.hash}. */
    public byte[] hmac(byte[] data) { return hmac(secret, data); }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    static long le64(byte[] b, int off) {
        long r = 0;
        for (int i = 7; i >= 0; i--) r = (r << 8) | (b[off + i] & 0xffL);
        return r;
    }

    @Override public String toString() { return "MaskingKey[redacted]"; }
}
