package dev.arbor.backend.api;

import io.vertx.core.json.JsonObject;

import java.util.Optional;

/** Validation of endpoint sizing and settings fields, shared by project, branch and endpoint calls. */
final class EndpointInput {
    static final double MIN_CU = 0.25;
    static final double MAX_CU = 56;

    private EndpointInput() {}

    static String type(JsonObject o, String where) {
        String t = Req.requiredStr(o, "type", where + ".type");
        if (!t.equals("read_write") && !t.equals("read_only")) {
            throw ApiException.badRequest(where + ".type must be read_write or read_only, got " + Req.quote(t));
        }
        return t;
    }

    static Optional<Double> cu(JsonObject o, String field, String where) {
        Optional<Double> v = Req.num(o, field, where + "." + field);
        v.ifPresent(cu -> {
            if (cu < MIN_CU || cu > MAX_CU || Math.rint(cu * 4) != cu * 4) {
                throw ApiException.badRequest(where + "." + field + " must be a multiple of 0.25 between " + MIN_CU + " and " + MAX_CU);
            }
        });
        return v;
    }

    static Optional<Integer> suspendTimeout(JsonObject o, String where) {
        Optional<Integer> v = Req.integer(o, "suspend_timeout_seconds", where + ".suspend_timeout_seconds");
        v.ifPresent(s -> {
            if (!(s == -1 || s == 0 || (s >= 60 && s <= 604800))) {
                throw ApiException.badRequest(where + ".suspend_timeout_seconds must be -1, 0 or between 60 and 604800");
            }
        });
        return v;
    }

    static void checkRange(double min, double max, String where) {
        if (max < min) throw ApiException.badRequest(where + ".autoscaling_limit_max_cu must be >= autoscaling_limit_min_cu");
    }

    /** settings: {pg_settings: {name: string}, ...}; only pg_settings values are checked (they reach postgresql.conf). */
    static JsonObject settings(JsonObject o, String where) {
        JsonObject s = Req.obj(o, "settings", where + ".settings").orElse(new JsonObject());
        Optional<JsonObject> pg = Req.obj(s, "pg_settings", where + ".settings.pg_settings");
        pg.ifPresent(p -> p.forEach(e -> {
            if (!e.getKey().matches("[a-z_][a-z0-9_.]{0,62}")) {
                throw ApiException.badRequest(where + ".settings.pg_settings has an invalid setting name " + Req.quote(e.getKey()));
            }
            if (!(e.getValue() instanceof String v)) {
                throw ApiException.badRequest(where + ".settings.pg_settings." + e.getKey() + " must be a string");
            }
            if (v.contains("'") || v.contains("\n") || v.contains("\\")) {
                throw ApiException.badRequest(where + ".settings.pg_settings." + e.getKey() + " must not contain quotes, backslashes or newlines");
            }
        }));
        return s;
    }
}
