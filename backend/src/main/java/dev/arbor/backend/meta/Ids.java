package dev.arbor.backend.meta;

import java.security.SecureRandom;

/** Neon-shaped ids: {@code calm-sun-12345678}, {@code br-calm-sun-12345678}, {@code ep-calm-sun-12345678}. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String[] ADJ = {"calm", "young", "quiet", "bold", "red", "late", "dry", "misty", "small", "still",
            "wild", "cool", "dark", "green", "blue", "proud", "fancy", "lively", "floral", "round", "snowy", "sweet",
            "withered", "ancient", "billowing", "broad", "curly", "damp", "empty", "falling", "gentle", "hidden"};
    private static final String[] NOUN = {"sun", "hill", "rock", "smoke", "term", "bird", "leaf", "forest", "river",
            "lake", "field", "cloud", "snow", "wind", "star", "moon", "wave", "dew", "frost", "grass", "pond", "sea",
            "shape", "silence", "sound", "thunder", "voice", "water", "night", "dawn", "cherry", "brook"};

    private Ids() {}

    public static String project() { return words(); }
    public static String branch() { return "br-" + words(); }
    public static String endpoint() { return "ep-" + words(); }

    private static String words() {
        return ADJ[RANDOM.nextInt(ADJ.length)] + "-" + NOUN[RANDOM.nextInt(NOUN.length)] + "-"
                + String.format("%08d", RANDOM.nextInt(100_000_000));
    }
}
