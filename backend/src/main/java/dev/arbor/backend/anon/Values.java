package dev.arbor.backend.anon;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Conversions between PostgreSQL's text representation (as COPY and pgjdbc's DateStyle=ISO produce it) and
 * the Java values masking functions compute with, and back. Unparseable input throws IllegalArgumentException.
 */
final class Values {
    private Values() {}

    /** months/days/seconds like PostgreSQL's interval. */
    record Interval(long months, long days, double seconds) {
        double totalSeconds() { return months * 30.0 * 86400 + days * 86400.0 + seconds; }
    }

    static String text(Object v) {
        if (v == null) return null;
        if (v instanceof String s) return s;
        if (v instanceof BigDecimal b) return b.toPlainString();
        if (v instanceof Double d) return d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : BigDecimal.valueOf(d).toPlainString();
        if (v instanceof LocalDate d) return d.toString();
        if (v instanceof LocalDateTime t) return TS.format(t);
        if (v instanceof OffsetDateTime t) return TSTZ.format(t);
        return v.toString();
    }

    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS", Locale.ROOT);
    private static final DateTimeFormatter TSTZ = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSSxxx", Locale.ROOT);

    static long asLong(Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof BigDecimal b) return b.setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact();
        if (v instanceof Double d) return Math.round(d);
        String s = text(v).trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not an integer");
        }
    }

    static BigDecimal asDecimal(Object v) {
        if (v instanceof BigDecimal b) return b;
        if (v instanceof Long l) return BigDecimal.valueOf(l);
        if (v instanceof Double d) return BigDecimal.valueOf(d);
        String s = text(v).trim();
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a number");
        }
    }

    /** A date/timestamp/timestamptz from ISO text; returns LocalDate, LocalDateTime or OffsetDateTime. */
    static Object asDateTime(Object v) {
        if (v instanceof LocalDate || v instanceof LocalDateTime || v instanceof OffsetDateTime) return v;
        String s = text(v).trim();
        try {
            if (s.length() == 10) return LocalDate.parse(s);
            String norm = s.replace('T', ' ');
            int sp = norm.indexOf(' ');
            if (sp < 0) throw new IllegalArgumentException("'" + s + "' is not a date or timestamp");
            LocalDate d = LocalDate.parse(norm.substring(0, sp));
            String rest = norm.substring(sp + 1);
            int off = Math.max(rest.lastIndexOf('+'), rest.lastIndexOf('-'));
            if (rest.endsWith("Z")) off = rest.length() - 1;
            String time = off > 0 ? rest.substring(0, off) : rest;
            LocalDateTime t = LocalDateTime.of(d, LocalTime.parse(time.length() == 5 ? time + ":00" : time));
            if (off <= 0) return t;
            String z = rest.substring(off);
            return OffsetDateTime.of(t, z.equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(z.length() == 3 ? z : z));
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("'" + s + "' is not a date or timestamp");
        }
    }

    /** Renders a date-time for a column of kind {@code target}. */
    static String dateTimeFor(Object v, ValueKind target) {
        return switch (target) {
            case DATE -> text(v instanceof LocalDateTime t ? t.toLocalDate() : v instanceof OffsetDateTime o ? o.toLocalDate() : v);
            case TIMESTAMP -> text(v instanceof LocalDate d ? d.atStartOfDay() : v instanceof OffsetDateTime o ? o.toLocalDateTime() : v);
            case TIMESTAMPTZ -> text(v instanceof LocalDate d ? d.atStartOfDay().atOffset(ZoneOffset.UTC)
                    : v instanceof LocalDateTime t ? t.atOffset(ZoneOffset.UTC) : v);
            default -> text(v);
        };
    }

    /** '1 day', '2 hours 30 minutes', '1 year 2 mons', '04:05:06', '-3 days'. */
    static Interval asInterval(Object v) {
        if (v instanceof Interval i) return i;
        String s = text(v).trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("@")) s = s.substring(1).trim();
        String[] parts = s.split("\\s+");
        long months = 0, days = 0;
        double seconds = 0;
        try {
            for (int k = 0; k < parts.length; k++) {
                String p = parts[k];
                if (p.isEmpty()) continue;
                if (p.contains(":")) {
                    boolean neg = p.startsWith("-");
                    String[] hms = (neg ? p.substring(1) : p).split(":");
                    double secs = Long.parseLong(hms[0]) * 3600.0 + (hms.length > 1 ? Long.parseLong(hms[1]) * 60.0 : 0)
                            + (hms.length > 2 ? Double.parseDouble(hms[2]) : 0);
                    seconds += neg ? -secs : secs;
                    continue;
                }
                double n = Double.parseDouble(p);
                String unit = k + 1 < parts.length ? parts[++k] : "second";
                if (unit.length() > 3 && unit.endsWith("s")) unit = unit.substring(0, unit.length() - 1);
                switch (unit) {
                    case "millennium", "millennia" -> months += Math.round(n * 12000);
                    case "century", "centurie" -> months += Math.round(n * 1200);
                    case "decade" -> months += Math.round(n * 120);
                    case "year", "yr", "yrs", "y" -> months += Math.round(n * 12);
                    case "mon", "mons", "month" -> months += Math.round(n);
                    case "week", "w" -> days += Math.round(n * 7);
                    case "day", "days", "d" -> days += Math.round(n);
                    case "hour", "hr", "hrs", "h" -> seconds += n * 3600;
                    case "minute", "min", "mins", "m" -> seconds += n * 60;
                    case "second", "sec", "secs", "s" -> seconds += n;
                    case "millisecond", "ms", "msec" -> seconds += n / 1000;
                    case "microsecond", "us", "usec" -> seconds += n / 1_000_000;
                    default -> throw new IllegalArgumentException("unknown interval unit '" + unit + "'");
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not an interval");
        }
        if (parts.length == 0 || s.isEmpty()) throw new IllegalArgumentException("empty interval");
        return new Interval(months, days, seconds);
    }

    /** Moves a date-time by {@code seconds} (rounded to whole days for dates). */
    static Object plusSeconds(Object dt, double seconds) {
        long nanos = (long) (seconds * 1e9);
        return switch (dt) {
            case LocalDate d -> d.plusDays(Math.round(seconds / 86400));
            case LocalDateTime t -> t.plusNanos(nanos / 1000 * 1000);
            case OffsetDateTime o -> o.plusNanos(nanos / 1000 * 1000);
            default -> throw new IllegalArgumentException("not a date-time: " + dt);
        };
    }

    static long epochSeconds(Object dt) {
        return switch (dt) {
            case LocalDate d -> d.toEpochDay() * 86400;
            case LocalDateTime t -> t.toEpochSecond(ZoneOffset.UTC);
            case OffsetDateTime o -> o.toEpochSecond();
            default -> throw new IllegalArgumentException("not a date-time: " + dt);
        };
    }
}
