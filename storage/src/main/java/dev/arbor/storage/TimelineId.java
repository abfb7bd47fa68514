package dev.arbor.storage;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A timeline's id: 32 lowercase hex digits, like Neon's. Safe to use as a directory name. */
public record TimelineId(String value) {
    private static final Pattern FORM = Pattern.compile("[0-9a-f]{32}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public TimelineId {
        if (value == null || !FORM.matcher(value).matches())
            throw new IllegalArgumentException("timeline id must be 32 lowercase hex digits: " + value);
    }

    public static TimelineId generate() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return new TimelineId(HexFormat.of().formatHex(b));
    }

    @Override public String toString() { return value; }
}
