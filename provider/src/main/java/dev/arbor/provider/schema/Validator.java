package dev.arbor.provider.schema;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;

/** Checks one known, non-null attribute value; returns an error message or null. */
@FunctionalInterface
public interface Validator {
    String check(Object value);

    /** A sentence for the docs; empty when the rule is self-evident. */
    default String describe() {
        return "";
    }

    static Validator oneOf(String... allowed) {
        List<String> values = List.of(allowed);
        return new Validator() {
            public String check(Object v) {
                return values.contains(v) ? null
                        : "must be one of " + String.join(", ", values.stream().map(s -> "\"" + s + "\"").toList())
                                + ", got \"" + v + "\"";
            }

            public String describe() {
                return "One of " + String.join(", ", values.stream().map(s -> "`" + s + "`").toList()) + ".";
            }
        };
    }

    static Validator pattern(String regex, String what) {
        Pattern p = Pattern.compile(regex);
        return new Validator() {
            public String check(Object v) {
                return p.matcher(v.toString()).matches() ? null : "must be " + what + ", got \"" + v + "\"";
            }

            public String describe() {
                return "Must be " + what + ".";
            }
        };
    }

    static Validator length(int min, int max) {
        return v -> {
            int n = v.toString().length();
            return n >= min && n <= max ? null
                    : "must be between " + min + " and " + max + " characters long, got " + n;
        };
    }

    static Validator range(long min, long max) {
        return new Validator() {
            public String check(Object v) {
                BigDecimal d = (BigDecimal) v;
                if (d.stripTrailingZeros().scale() > 0) {
                    return "must be a whole number, got " + d.toPlainString();
                }
                return d.compareTo(BigDecimal.valueOf(min)) >= 0 && d.compareTo(BigDecimal.valueOf(max)) <= 0 ? null
                        : "must be between " + min + " and " + max + ", got " + d.toPlainString();
            }

            public String describe() {
                return "Between " + min + " and " + max + ".";
            }
        };
    }

    static Validator rfc3339() {
        return new Validator() {
            public String check(Object v) {
                try {
                    OffsetDateTime.parse(v.toString());
                    return null;
                } catch (DateTimeParseException e) {
                    return "must be an RFC 3339 timestamp such as 2030-01-31T12:00:00Z, got \"" + v + "\"";
                }
            }

            public String describe() {
                return "An RFC 3339 timestamp, e.g. `2030-01-31T12:00:00Z`.";
            }
        };
    }
}
