package dev.arbor.backend.anon;

import net.datafaker.Faker;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * Realistic fake values. Pools of distinct names, cities, companies... are drawn ONCE from datafaker with a
 * fixed seed (so they are identical on every run of the same Arbor build), then a per-value {@link Rng}
 * picks from them: ~50 ns per value instead of 1-10 us for a datafaker call. Values that need checksums
 * (IBAN, credit card) come from a per-thread datafaker instance re-seeded per value.
 */
final class Fakes {
    private Fakes() {}

    private static final class Pools {
        static final String[] FIRST = pool(3000, f -> f.name().firstName());
        static final String[] LAST = pool(2000, f -> f.name().lastName());
        static final String[] PREFIX = {"Mr.", "Mrs.", "Ms.", "Miss", "Dr."};
        static final String[] CITY = pool(2000, f -> f.address().city());
        static final String[] COUNTRY = pool(400, f -> f.address().country());
        static final String[] COUNTRY_CODE = pool(400, f -> f.address().countryCode());
        static final String[] STATE = pool(200, f -> f.address().state());
        static final String[] STATE_ABBR = pool(200, f -> f.address().stateAbbr());
        static final String[] STREET = pool(3000, f -> f.address().streetName());
        static final String[] COMPANY = pool(3000, f -> f.company().name());
        static final String[] WORD = pool(600, f -> f.lorem().word());
        // e-mail local parts: ASCII, lower case, computed once (Normalizer is far too slow per row)
        static final String[] FIRST_ASCII = java.util.Arrays.stream(FIRST).map(Fakes::asciiLower).toArray(String[]::new);
        static final String[] LAST_ASCII = java.util.Arrays.stream(LAST).map(Fakes::asciiLower).toArray(String[]::new);
        static final String[] FREE_DOMAIN = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "proton.me", "gmx.net", "icloud.com"};
        static final String[] SAFE_DOMAIN = {"example.com", "example.org", "example.net"};
    }

    private static String[] pool(int want, Function<Faker, String> gen) {
        Faker f = new Faker(Locale.ENGLISH, new Random(0x5eed_a4b0_41L));
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        int misses = 0;
        while (seen.size() < want && misses < want * 3) {
            if (!seen.add(gen.apply(f))) misses++;
        }
        return seen.toArray(String[]::new);
    }

    /** A datafaker instance owned by this thread, whose Random we re-seed for each value. */
    private record SeededFaker(Faker faker, Random random) {}

    private static final ThreadLocal<SeededFaker> FAKER = ThreadLocal.withInitial(() -> {
        Random r = new Random(0);
        return new SeededFaker(new Faker(Locale.ENGLISH, r), r);
    });

    static Faker faker(long seed) {
        SeededFaker sf = FAKER.get();
        sf.random().setSeed(seed);
        return sf.faker();
    }

    /** Forces pool creation (a few hundred ms) before a job starts timing rows. */
    static void warm() {
        int n = Pools.FIRST.length + Pools.COMPANY.length;
        if (n == 0) throw new IllegalStateException("datafaker pools are empty");
    }

    private static String pick(String[] pool, Rng r) { return pool[r.nextInt(pool.length)]; }

    static String firstName(Rng r) { return pick(Pools.FIRST, r); }
    static String lastName(Rng r) { return pick(Pools.LAST, r); }
    static String fullName(Rng r) { return firstName(r) + " " + lastName(r); }
    static String nameWithTitle(Rng r) { return pick(Pools.PREFIX, r) + " " + fullName(r); }
    static String city(Rng r) { return pick(Pools.CITY, r); }
    static String country(Rng r) { return pick(Pools.COUNTRY, r); }
    static String countryCode(Rng r) { return pick(Pools.COUNTRY_CODE, r); }
    static String state(Rng r) { return pick(Pools.STATE, r); }
    static String company(Rng r) { return pick(Pools.COMPANY, r); }
    static String word(Rng r) { return pick(Pools.WORD, r); }
    static String street(Rng r) { return (1 + r.nextInt(9899)) + " " + pick(Pools.STREET, r); }
    static String zip(Rng r) { return String.format(Locale.ROOT, "%05d", r.nextInt(100000)); }
    static String address(Rng r) {
        return street(r) + ", " + city(r) + ", " + pick(Pools.STATE_ABBR, r) + " " + zip(r);
    }

    private static final String[] TWO_DIGITS = java.util.stream.IntStream.range(0, 100).mapToObj(Integer::toString).toArray(String[]::new);

    static String username(Rng r) {
        // a table lookup: int-to-string in the concatenation was a visible share of a masked row's cost
        return pick(Pools.FIRST_ASCII, r) + "." + pick(Pools.LAST_ASCII, r) + TWO_DIGITS[r.nextInt(100)];
    }

    static String freeEmail(Rng r) { return username(r) + "@" + pick(Pools.FREE_DOMAIN, r); }
    static String safeEmail(Rng r) { return username(r) + "@" + pick(Pools.SAFE_DOMAIN, r); }

    static String phone(Rng r, String prefix) {
        StringBuilder sb = new StringBuilder(prefix == null ? "" : prefix);
        if (prefix == null) {
            sb.append('(').append(2 + r.nextInt(8)).append(r.nextInt(10)).append(r.nextInt(10)).append(") ")
              .append(2 + r.nextInt(8)).append(r.nextInt(10)).append(r.nextInt(10)).append('-');
            for (int i = 0; i < 4; i++) sb.append(r.nextInt(10));
        } else {
            for (int i = 0; i < 9; i++) sb.append(r.nextInt(10));
        }
        return sb.toString();
    }

    static String ipv4(Rng r) {
        return (1 + r.nextInt(223)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
    }

    static String ipv6(Rng r) {
        StringBuilder sb = new StringBuilder("2001:db8");
        for (int i = 0; i < 6; i++) sb.append(':').append(Integer.toHexString(r.nextInt(0x10000)));
        return sb.toString();
    }

    static String mac(Rng r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            if (i > 0) sb.append(':');
            sb.append(String.format(Locale.ROOT, "%02x", i == 0 ? (r.nextInt(256) & 0xfe) | 0x02 : r.nextInt(256)));
        }
        return sb.toString();
    }

    static String uuidV4(Rng r) {
        long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(hi, lo).toString();
    }

    static String iban(long seed) { return faker(seed).finance().iban(); }
    static String bic(long seed) { return faker(seed).finance().bic(); }
    static String creditCard(long seed) { return faker(seed).business().creditCardNumber(); }

    /** 14-digit SIRET with a valid Luhn check digit. */
    static String siret(Rng r) {
        int[] d = new int[14];
        for (int i = 0; i < 13; i++) d[i] = r.nextInt(10);
        int sum = 0;
        for (int i = 0; i < 13; i++) {
            int v = d[12 - i];
            if (i % 2 == 0) { v *= 2; if (v > 9) v -= 9; }
            sum += v;
        }
        d[13] = (10 - sum % 10) % 10;
        StringBuilder sb = new StringBuilder();
        for (int x : d) sb.append(x);
        return sb.toString();
    }

    static String words(Rng r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(' ');
            sb.append(word(r));
        }
        return sb.toString();
    }

    static String paragraphs(Rng r, int n) {
        List<String> ps = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            StringBuilder sb = new StringBuilder();
            int sentences = 3 + r.nextInt(4);
            for (int s = 0; s < sentences; s++) {
                if (s > 0) sb.append(' ');
                String w = words(r, 5 + r.nextInt(8));
                sb.append(Character.toUpperCase(w.charAt(0))).append(w, 1, w.length()).append('.');
            }
            ps.add(sb.toString());
        }
        return String.join("\n", ps);
    }

    static String characters(Rng r, int n) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < n) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(word(r));
        }
        return sb.substring(0, n);
    }

    static String randomString(Rng r, int n) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return sb.toString();
    }

    private static String asciiLower(String s) {
        return ascii(s).toLowerCase(Locale.ROOT);
    }

    private static String ascii(String s) {
        String n = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c < 128 && Character.isLetterOrDigit(c)) sb.append(c);
        }
        return sb.isEmpty() ? "user" : sb.toString();
    }
}
