package dev.arbor.backend.anon;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The masking functions Arbor implements, under PostgreSQL Anonymizer's names ({@code anon.*}) plus a few
 * trusted {@code pg_catalog} helpers. Every "random" function is deterministic: it draws from an {@link Rng}
 * seeded by SipHash(project key, generator tag, input) where the input is the masked column's original
 * value (or the explicit seed argument of {@code pseudo_*}), so equal inputs mask equally in every table and run.
 */
final class Functions {
    private Functions() {}

    /** Parameter types, checked when a rule is compiled. */
    enum PType { ANY, TEXT, INT, NUMBER, DATETIME, INTERVAL, ARRAY }

    record Param(String name, PType type, boolean optional, Object defaultValue) {
        static Param req(String name, PType type) { return new Param(name, type, false, null); }
        static Param opt(String name, PType type, Object def) { return new Param(name, type, true, def); }
        String describe() { return name + " " + type.name().toLowerCase(Locale.ROOT) + (optional ? " = " + (defaultValue == null ? "NULL" : defaultValue) : ""); }
    }

    /** A compiled argument: its evaluator, static kind, and whether it reads columns other than the masked one. */
    record Typed(Eval eval, ValueKind kind, boolean readsOtherColumns, boolean injective) {
        boolean isConst() { return eval instanceof Eval.Const; }
        Object constValue() { return ((Eval.Const) eval).value(); }
    }

    @FunctionalInterface
    interface Impl { Eval make(List<Typed> args, MaskingKey key); }

    record Fn(String schema, String name, List<Param> params, boolean variadic, Function<List<Typed>, ValueKind> result,
              Impl impl, boolean injective) {
        String qualifiedName() { return schema + "." + name; }
        String signature() {
            if (variadic) return qualifiedName() + "(value any, ...)";
            return qualifiedName() + "(" + String.join(", ", params.stream().map(Param::describe).toList()) + ")";
        }
        int required() { return (int) params.stream().filter(p -> !p.optional()).count(); }
    }

    private static final Map<String, Fn> FNS = new LinkedHashMap<>();

    static Fn lookup(String schema, String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (schema == null) {
            Fn f = FNS.get("pg_catalog." + n);
            return f != null ? f : FNS.get("anon." + n);
        }
        return FNS.get(schema.toLowerCase(Locale.ROOT) + "." + n);
    }

    static Collection<Fn> all() { return FNS.values(); }

    private static void reg(String schema, String name, List<Param> params, ValueKind result, Impl impl) {
        FNS.put(schema + "." + name, new Fn(schema, name, params, false, a -> result, impl, false));
    }

    private static Param req(String n, PType t) { return Param.req(n, t); }

    /** A zero-argument generator: seeded by the masked column's own value. */
    private static void generator(String name, String tag, ValueKind kind, Function<Rng, String> gen) {
        reg("anon", name, List.of(), kind, (a, key) -> row -> {
            String s = row.subject();
            return gen.apply(new Rng(key.seed(tag, s)));
        });
    }

    /** pseudo_*(seed [, salt]): seeded by the explicit seed argument, same tag as the matching generator. */
    private static void pseudo(String name, String tag, Function<Rng, String> gen) {
        reg("anon", name, List.of(req("seed", PType.ANY), Param.opt("salt", PType.TEXT, null)), ValueKind.TEXT, (a, key) -> {
            Eval seed = a.get(0).eval();
            Eval salt = a.get(1).eval();
            return row -> {
                String s = Values.text(seed.eval(row));
                if (s == null) return null;
                String salted = salt.eval(row) instanceof Object o ? s + "\u0000" + Values.text(o) : s;
                return gen.apply(new Rng(key.seed(tag, salted)));
            };
        });
    }

    private static void generatorSeeded(String name, String tag, ToLongFunction<Long> unused, Function<Long, String> gen) {
        reg("anon", name, List.of(), ValueKind.TEXT, (a, key) -> row -> gen.apply(key.seed(tag, row.subject())));
    }

    static {
        // ---- faking (v1 fake_*, v2 dummy_*, pseudo_*) ----
        for (String n : List.of("fake_first_name", "dummy_first_name")) generator(n, "first_name", ValueKind.TEXT, Fakes::firstName);
        for (String n : List.of("fake_last_name", "dummy_last_name")) generator(n, "last_name", ValueKind.TEXT, Fakes::lastName);
        generator("dummy_name", "name", ValueKind.TEXT, Fakes::fullName);
        generator("dummy_name_with_title", "name_with_title", ValueKind.TEXT, Fakes::nameWithTitle);
        for (String n : List.of("fake_email", "dummy_free_email")) generator(n, "email", ValueKind.TEXT, Fakes::freeEmail);
        generator("dummy_safe_email", "safe_email", ValueKind.TEXT, Fakes::safeEmail);
        generator("dummy_username", "username", ValueKind.TEXT, Fakes::username);
        for (String n : List.of("dummy_phone_number", "dummy_cell_number")) generator(n, "phone", ValueKind.TEXT, r -> Fakes.phone(r, null));
        generator("fake_address", "address", ValueKind.TEXT, Fakes::address);
        for (String n : List.of("dummy_street_name", "dummy_street_address")) generator(n, "street", ValueKind.TEXT, Fakes::street);
        for (String n : List.of("fake_city", "dummy_city_name")) generator(n, "city", ValueKind.TEXT, Fakes::city);
        for (String n : List.of("fake_country", "dummy_country_name")) generator(n, "country", ValueKind.TEXT, Fakes::country);
        generator("dummy_country_code", "country_code", ValueKind.TEXT, Fakes::countryCode);
        for (String n : List.of("dummy_state_name", "fake_region")) generator(n, "state", ValueKind.TEXT, Fakes::state);
        for (String n : List.of("fake_postcode", "dummy_zip_code", "dummy_post_code", "random_zip")) generator(n, "zip", ValueKind.TEXT, Fakes::zip);
        for (String n : List.of("fake_company", "dummy_company_name")) generator(n, "company", ValueKind.TEXT, Fakes::company);
        generator("fake_siret", "siret", ValueKind.TEXT, Fakes::siret);
        for (String n : List.of("dummy_ip", "dummy_ipv4")) generator(n, "ipv4", ValueKind.INET, Fakes::ipv4);
        generator("dummy_ipv6", "ipv6", ValueKind.INET, Fakes::ipv6);
        generator("dummy_mac_address", "mac", ValueKind.TEXT, Fakes::mac);
        generator("dummy_word", "word", ValueKind.TEXT, Fakes::word);
        generatorSeeded("fake_iban", "iban", null, Fakes::iban);
        generatorSeeded("dummy_bic", "bic", null, Fakes::bic);
        generatorSeeded("dummy_credit_card_number", "credit_card", null, Fakes::creditCard);
        FNS.put("anon.dummy_uuidv4", new Fn("anon", "dummy_uuidv4", List.of(), false, a -> ValueKind.UUID,
                (a, key) -> row -> Fakes.uuidV4(new Rng(key.seed("uuid", row.subject()))), true));
        pseudo("pseudo_first_name", "first_name", Fakes::firstName);
        pseudo("pseudo_last_name", "last_name", Fakes::lastName);
        pseudo("pseudo_email", "email", Fakes::freeEmail);
        pseudo("pseudo_city", "city", Fakes::city);
        pseudo("pseudo_country", "country", Fakes::country);
        pseudo("pseudo_company", "company", Fakes::company);
        pseudo("pseudo_siret", "siret", Fakes::siret);
        reg("anon", "pseudo_iban", List.of(req("seed", PType.ANY), Param.opt("salt", PType.TEXT, null)), ValueKind.TEXT, (a, key) -> row -> {
            String s = Values.text(a.get(0).eval().eval(row));
            Object salt = a.get(1).eval().eval(row);
            return s == null ? null : Fakes.iban(key.seed("iban", salt == null ? s : s + "\u0000" + Values.text(salt)));
        });

        reg("anon", "lorem_ipsum", List.of(Param.opt("paragraphs", PType.INT, 5L), Param.opt("words", PType.INT, 0L),
                Param.opt("characters", PType.INT, 0L)), ValueKind.TEXT, (a, key) -> row -> {
            long p = asLongOr(a.get(0).eval().eval(row), 5), w = asLongOr(a.get(1).eval().eval(row), 0), c = asLongOr(a.get(2).eval().eval(row), 0);
            Rng r = new Rng(key.seed("lorem", row.subject()));
            if (c > 0) return Fakes.characters(r, (int) Math.min(c, 1_000_000));
            if (w > 0) return Fakes.words(r, (int) Math.min(w, 100_000));
            return Fakes.paragraphs(r, (int) Math.min(Math.max(p, 1), 1000));
        });

        // ---- randomization (deterministic per input value) ----
        reg("anon", "random_string", List.of(req("l", PType.INT)), ValueKind.TEXT, (a, key) -> row -> {
            long n = Values.asLong(a.get(0).eval().eval(row));
            return Fakes.randomString(new Rng(key.seed("random_string", row.subject())), (int) Math.max(0, Math.min(n, 1_000_000)));
        });
        reg("anon", "random_phone", List.of(Param.opt("phone_prefix", PType.TEXT, "0")), ValueKind.TEXT, (a, key) -> row ->
                Fakes.phone(new Rng(key.seed("phone", row.subject())), Values.text(a.get(0).eval().eval(row))));
        for (String n : List.of("random_int_between", "random_bigint_between")) {
            reg("anon", n, List.of(req("int_start", PType.INT), req("int_stop", PType.INT)), ValueKind.INT, (a, key) -> row -> {
                long lo = Values.asLong(a.get(0).eval().eval(row)), hi = Values.asLong(a.get(1).eval().eval(row));
                if (hi < lo) { long t = lo; lo = hi; hi = t; }
                return new Rng(key.seed("random_int", row.subject())).between(lo, hi);
            });
        }
        reg("anon", "random_date_between", List.of(req("date_start", PType.DATETIME), req("date_end", PType.DATETIME)),
                ValueKind.TIMESTAMP, (a, key) -> row -> {
                    Object s = Values.asDateTime(a.get(0).eval().eval(row)), e = Values.asDateTime(a.get(1).eval().eval(row));
                    long lo = Values.epochSeconds(s), hi = Values.epochSeconds(e);
                    if (hi < lo) { long t = lo; lo = hi; hi = t; }
                    long at = new Rng(key.seed("random_date", row.subject())).between(lo, hi);
                    return s instanceof LocalDate && e instanceof LocalDate ? LocalDate.ofEpochDay(Math.floorDiv(at, 86400))
                            : LocalDateTime.ofEpochSecond(at, 0, ZoneOffset.UTC);
                });
        reg("anon", "random_date", List.of(), ValueKind.TIMESTAMP, (a, key) -> row -> LocalDateTime.ofEpochSecond(
                new Rng(key.seed("random_date", row.subject())).between(0, 1_700_000_000L), 0, ZoneOffset.UTC));
        FNS.put("anon.random_in", new Fn("anon", "random_in", List.of(req("a", PType.ARRAY)), false,
                a -> a.getFirst().kind(), (a, key) -> {
                    Object[] items = (Object[]) a.getFirst().constValue();
                    return row -> items.length == 0 ? null : items[new Rng(key.seed("random_in", row.subject())).nextInt(items.length)];
                }, false));
        // random_in_*range('[lo,hi)'): inclusive/exclusive bounds as written
        for (String n : List.of("random_in_int4range", "random_in_int8range")) {
            reg("anon", n, List.of(req("r", PType.TEXT)), ValueKind.INT, (a, key) -> row -> {
                String[] b = rangeBounds(Values.text(a.get(0).eval().eval(row)));
                long lo = Long.parseLong(b[1].trim()) + (b[0].equals("(") ? 1 : 0);
                long hi = Long.parseLong(b[2].trim()) - (b[3].equals(")") ? 1 : 0);
                return new Rng(key.seed("random_int", row.subject())).between(lo, Math.max(lo, hi));
            });
        }
        reg("anon", "random_in_numrange", List.of(req("r", PType.TEXT)), ValueKind.NUMERIC, (a, key) -> row -> {
            String[] b = rangeBounds(Values.text(a.get(0).eval().eval(row)));
            BigDecimal lo = new BigDecimal(b[1].trim()), hi = new BigDecimal(b[2].trim());
            int scale = Math.max(2, Math.max(lo.scale(), hi.scale()));
            double u = new Rng(key.seed("random_numeric", row.subject())).nextDouble();
            return lo.add(hi.subtract(lo).multiply(BigDecimal.valueOf(u))).setScale(scale, RoundingMode.FLOOR);
        });
        reg("anon", "random_in_daterange", List.of(req("r", PType.TEXT)), ValueKind.DATE, (a, key) -> row -> {
            String[] b = rangeBounds(Values.text(a.get(0).eval().eval(row)));
            long lo = LocalDate.parse(b[1].trim()).toEpochDay() + (b[0].equals("(") ? 1 : 0);
            long hi = LocalDate.parse(b[2].trim()).toEpochDay() - (b[3].equals(")") ? 1 : 0);
            return LocalDate.ofEpochDay(new Rng(key.seed("random_date", row.subject())).between(lo, Math.max(lo, hi)));
        });
        reg("anon", "random_hash", List.of(req("seed", PType.TEXT)), ValueKind.TEXT, (a, key) -> row ->
                hex(sha256(key.hmac("anon.random_hash".getBytes(StandardCharsets.UTF_8)),
                        (Values.text(a.get(0).eval().eval(row)) + "\u0000" + row.subject()))));

        // ---- hashing: salted with a key-derived salt, so hashes cannot be brute-forced without the project key ----
        FNS.put("anon.hash", new Fn("anon", "hash", List.of(req("seed", PType.ANY)), false, a -> ValueKind.TEXT, (a, key) -> {
            byte[] salt = key.hmac("anon.hash".getBytes(StandardCharsets.UTF_8));
            return row -> {
                String v = Values.text(a.get(0).eval().eval(row));
                return v == null ? null : hex(sha256(salt, v));
            };
        }, true));
        FNS.put("anon.digest", new Fn("anon", "digest", List.of(req("seed", PType.ANY), req("salt", PType.TEXT),
                req("algorithm", PType.TEXT)), false, a -> ValueKind.TEXT, (a, key) -> row -> {
            String v = Values.text(a.get(0).eval().eval(row));
            if (v == null) return null;
            String alg = switch (String.valueOf(Values.text(a.get(2).eval().eval(row))).toLowerCase(Locale.ROOT)) {
                case "md5" -> "MD5"; case "sha224" -> "SHA-224"; case "sha256" -> "SHA-256";
                case "sha384" -> "SHA-384"; case "sha512" -> "SHA-512";
                default -> throw new IllegalArgumentException("anon.digest: unsupported algorithm (md5, sha224, sha256, sha384, sha512)");
            };
            try {
                MessageDigest md = MessageDigest.getInstance(alg);
                md.update((v + Values.text(a.get(1).eval().eval(row))).getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(md.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }, true));

        // ---- partial scrambling ----
        reg("anon", "partial", List.of(req("ov", PType.TEXT), req("prefix", PType.INT), req("padding", PType.TEXT),
                req("suffix", PType.INT)), ValueKind.TEXT, (a, key) -> row -> {
            String v = Values.text(a.get(0).eval().eval(row));
            if (v == null) return null;
            int pre = (int) Values.asLong(a.get(1).eval().eval(row)), suf = (int) Values.asLong(a.get(3).eval().eval(row));
            String pad = Values.text(a.get(2).eval().eval(row));
            return partial(v, pre, pad == null ? "" : pad, suf);
        });
        reg("anon", "partial_email", List.of(req("ov", PType.TEXT)), ValueKind.TEXT, (a, key) -> row -> {
            String v = Values.text(a.get(0).eval().eval(row));
            return v == null ? null : partialEmail(v);
        });

        // ---- noise ----
        FNS.put("anon.noise", new Fn("anon", "noise", List.of(req("noise_value", PType.NUMBER), req("ratio", PType.NUMBER)), false,
                a -> a.getFirst().kind() == ValueKind.UNKNOWN ? ValueKind.NUMERIC : a.getFirst().kind(), (a, key) -> {
            ValueKind k = a.getFirst().kind();
            return row -> {
                Object v = a.get(0).eval().eval(row);
                if (v == null) return null;
                double ratio = Values.asDecimal(a.get(1).eval().eval(row)).doubleValue();
                double f = 1 + ratio * (2 * new Rng(key.seed("noise", Values.text(v))).nextDouble() - 1);
                if (k == ValueKind.INT) return Math.round(Values.asLong(v) * f);
                if (k == ValueKind.FLOAT) return Values.asDecimal(v).doubleValue() * f;
                BigDecimal d = Values.asDecimal(v);
                return d.multiply(BigDecimal.valueOf(f)).setScale(Math.max(d.scale(), 0), RoundingMode.HALF_EVEN);
            };
        }, false));
        FNS.put("anon.dnoise", new Fn("anon", "dnoise", List.of(req("noise_value", PType.DATETIME), req("noise_range", PType.INTERVAL)), false,
                a -> a.getFirst().kind() == ValueKind.UNKNOWN ? ValueKind.TIMESTAMP : a.getFirst().kind(), (a, key) -> row -> {
            Object raw = a.get(0).eval().eval(row);
            if (raw == null) return null;
            String t = Values.text(raw);
            if (t.endsWith("infinity")) return t;
            Object v = Values.asDateTime(raw);
            double range = Values.asInterval(a.get(1).eval().eval(row)).totalSeconds();
            return Values.plusSeconds(v, range * (2 * new Rng(key.seed("dnoise", t)).nextDouble() - 1));
        }, false));

        // ---- generalization ----
        for (String n : List.of("generalize_int4range", "generalize_int8range")) {
            reg("anon", n, List.of(req("val", PType.INT), Param.opt("step", PType.INT, 10L)), ValueKind.RANGE, (a, key) -> row -> {
                Object v = a.get(0).eval().eval(row);
                if (v == null) return null;
                long step = Math.max(1, Values.asLong(a.get(1).eval().eval(row)));
                long lo = Math.floorDiv(Values.asLong(v), step) * step;
                return "[" + lo + "," + (lo + step) + ")";
            });
        }
        reg("anon", "generalize_numrange", List.of(req("val", PType.NUMBER), Param.opt("step", PType.INT, 10L)), ValueKind.RANGE, (a, key) -> row -> {
            Object v = a.get(0).eval().eval(row);
            if (v == null) return null;
            BigDecimal step = BigDecimal.valueOf(Math.max(1, Values.asLong(a.get(1).eval().eval(row))));
            BigDecimal lo = Values.asDecimal(v).divide(step, 0, RoundingMode.FLOOR).multiply(step);
            return "[" + lo.toPlainString() + "," + lo.add(step).toPlainString() + ")";
        });
        for (String n : List.of("generalize_daterange", "generalize_tsrange", "generalize_tstzrange")) {
            reg("anon", n, List.of(req("val", PType.DATETIME), Param.opt("step", PType.TEXT, "decade")), ValueKind.RANGE, (a, key) -> row -> {
                Object v = a.get(0).eval().eval(row);
                if (v == null) return null;
                Object d = Values.asDateTime(v);
                String step = Values.text(a.get(1).eval().eval(row)).toLowerCase(Locale.ROOT);
                LocalDateTime t = d instanceof LocalDate ld ? ld.atStartOfDay() : d instanceof OffsetDateTime o ? o.toLocalDateTime() : (LocalDateTime) d;
                LocalDateTime lo = truncate(t, step);
                LocalDateTime hi = advance(lo, step);
                if (n.equals("generalize_daterange")) return "[" + lo.toLocalDate() + "," + hi.toLocalDate() + ")";
                return "[\"" + Values.text(lo) + "\",\"" + Values.text(hi) + "\")";
            });
        }

        // ---- trusted pg_catalog helpers ----
        FNS.put("pg_catalog.concat", new Fn("pg_catalog", "concat", List.of(), true, a -> ValueKind.TEXT, (a, key) -> row -> {
            StringBuilder sb = new StringBuilder();
            for (Typed t : a) {
                Object v = t.eval().eval(row);
                if (v != null) sb.append(Values.text(v));
            }
            return sb.toString();
        }, false));
        reg("pg_catalog", "lower", List.of(req("s", PType.TEXT)), ValueKind.TEXT, (a, key) -> row -> {
            String s = Values.text(a.get(0).eval().eval(row));
            return s == null ? null : s.toLowerCase(Locale.ROOT);
        });
        reg("pg_catalog", "upper", List.of(req("s", PType.TEXT)), ValueKind.TEXT, (a, key) -> row -> {
            String s = Values.text(a.get(0).eval().eval(row));
            return s == null ? null : s.toUpperCase(Locale.ROOT);
        });
        reg("pg_catalog", "left", List.of(req("s", PType.TEXT), req("n", PType.INT)), ValueKind.TEXT, (a, key) -> row -> {
            String s = Values.text(a.get(0).eval().eval(row));
            if (s == null) return null;
            int n = (int) Values.asLong(a.get(1).eval().eval(row));
            int len = s.codePointCount(0, s.length());
            int keep = n >= 0 ? Math.min(n, len) : Math.max(0, len + n);
            return s.substring(0, s.offsetByCodePoints(0, keep));
        });
        reg("pg_catalog", "right", List.of(req("s", PType.TEXT), req("n", PType.INT)), ValueKind.TEXT, (a, key) -> row -> {
            String s = Values.text(a.get(0).eval().eval(row));
            if (s == null) return null;
            int n = (int) Values.asLong(a.get(1).eval().eval(row));
            int len = s.codePointCount(0, s.length());
            int keep = n >= 0 ? Math.min(n, len) : Math.max(0, len + n);
            return s.substring(s.offsetByCodePoints(0, len - keep));
        });
        reg("pg_catalog", "md5", List.of(req("s", PType.TEXT)), ValueKind.TEXT, (a, key) -> row -> {
            String s = Values.text(a.get(0).eval().eval(row));
            if (s == null) return null;
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** '[1,10)' -> {"[", "1", "10", ")"}. */
    static String[] rangeBounds(String r) {
        String t = r == null ? "" : r.trim();
        int comma = t.indexOf(',');
        if (t.length() < 5 || comma < 0 || "[(".indexOf(t.charAt(0)) < 0 || "])".indexOf(t.charAt(t.length() - 1)) < 0) {
            throw new IllegalArgumentException("'" + r + "' is not a bounded range such as '[1,10)'");
        }
        return new String[] {t.substring(0, 1), t.substring(1, comma), t.substring(comma + 1, t.length() - 1), t.substring(t.length() - 1)};
    }

    private static long asLongOr(Object v, long def) { return v == null ? def : Values.asLong(v); }

    /** anon.partial('abcdefgh', 1, 'xxxx', 3) = 'axxxxfgh'. */
    static String partial(String v, int prefix, String padding, int suffix) {
        int len = v.codePointCount(0, v.length());
        int pre = Math.max(0, Math.min(prefix, len));
        int suf = Math.max(0, Math.min(suffix, len - pre));
        return v.substring(0, v.offsetByCodePoints(0, pre)) + padding + v.substring(v.offsetByCodePoints(0, len - suf));
    }

    /** anon.partial_email('daamien@gmail.com') = 'da******@gm******.com'. */
    static String partialEmail(String v) {
        int at = v.indexOf('@');
        if (at < 0) return partial(v, 2, "******", 0);
        String local = v.substring(0, at), domain = v.substring(at + 1);
        int dot = domain.lastIndexOf('.');
        String tld = dot >= 0 ? domain.substring(dot) : "";
        return partial(local, 2, "******", 0) + "@" + partial(dot >= 0 ? domain.substring(0, dot) : domain, 2, "******", 0) + tld;
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try { return MessageDigest.getInstance("SHA-256"); } catch (NoSuchAlgorithmException e) { throw new IllegalStateException(e); }
    });

    static byte[] sha256(byte[] salt, String v) {
        MessageDigest md = SHA256.get();
        md.reset();
        md.update(salt);
        md.update(v.getBytes(StandardCharsets.UTF_8));
        return md.digest();
    }

    static String hex(byte[] b) { return HexFormat.of().formatHex(b); }

    private static LocalDateTime truncate(LocalDateTime t, String step) {
        return switch (step) {
            case "microsecond", "microseconds" -> t.truncatedTo(ChronoUnit.MICROS);
            case "millisecond", "milliseconds" -> t.truncatedTo(ChronoUnit.MILLIS);
            case "second" -> t.truncatedTo(ChronoUnit.SECONDS);
            case "minute" -> t.truncatedTo(ChronoUnit.MINUTES);
            case "hour" -> t.truncatedTo(ChronoUnit.HOURS);
            case "day" -> t.truncatedTo(ChronoUnit.DAYS);
            case "week" -> t.truncatedTo(ChronoUnit.DAYS).minusDays(t.getDayOfWeek().getValue() - 1);
            case "month" -> t.toLocalDate().withDayOfMonth(1).atStartOfDay();
            case "quarter" -> LocalDate.of(t.getYear(), ((t.getMonthValue() - 1) / 3) * 3 + 1, 1).atStartOfDay();
            case "year" -> LocalDate.of(t.getYear(), 1, 1).atStartOfDay();
            case "decade" -> LocalDate.of(Math.floorDiv(t.getYear(), 10) * 10, 1, 1).atStartOfDay();
            case "century" -> LocalDate.of(Math.floorDiv(t.getYear() - 1, 100) * 100 + 1, 1, 1).atStartOfDay();
            case "millennium" -> LocalDate.of(Math.floorDiv(t.getYear() - 1, 1000) * 1000 + 1, 1, 1).atStartOfDay();
            default -> throw new IllegalArgumentException("unknown generalization step '" + step
                    + "' (use second, minute, hour, day, week, month, quarter, year, decade, century or millennium)");
        };
    }

    private static LocalDateTime advance(LocalDateTime t, String step) {
        return switch (step) {
            case "microsecond", "microseconds" -> t.plusNanos(1000);
            case "millisecond", "milliseconds" -> t.plusNanos(1_000_000);
            case "second" -> t.plusSeconds(1);
            case "minute" -> t.plusMinutes(1);
            case "hour" -> t.plusHours(1);
            case "day" -> t.plusDays(1);
            case "week" -> t.plusWeeks(1);
            case "month" -> t.plusMonths(1);
            case "quarter" -> t.plusMonths(3);
            case "year" -> t.plusYears(1);
            case "decade" -> t.plusYears(10);
            case "century" -> t.plusYears(100);
            default -> t.plusYears(1000);
        };
    }

    /** Names close to {@code wanted} (edit distance, shared words), for "did you mean" in errors. */
    static List<String> closeMatches(String wanted) {
        String w = wanted.toLowerCase(Locale.ROOT);
        String bare = w.contains(".") ? w.substring(w.lastIndexOf('.') + 1) : w;
        record Scored(String name, int score) {}
        List<Scored> scored = new ArrayList<>();
        for (Fn f : FNS.values()) {
            int d = levenshtein(bare, f.name());
            boolean sharesWord = false;
            for (String part : bare.split("_")) {
                if (part.length() >= 4 && f.name().contains(part)) sharesWord = true;
            }
            if (d <= Math.max(2, bare.length() / 4) || sharesWord) scored.add(new Scored(f.qualifiedName(), sharesWord ? Math.min(d, 3) : d));
        }
        scored.sort(java.util.Comparator.comparingInt(Scored::score).thenComparing(Scored::name));
        return scored.stream().limit(5).map(Scored::name).toList();
    }

    private static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
