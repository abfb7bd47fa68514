package dev.arbor.backend;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One scrape of a real {@code /metrics}, parsed: series written as {@code name{l1="v1",l2="v2"}} to value. */
record MetricsScrape(String text, Map<String, Double> series) {
    static MetricsScrape of(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
        return parse(r.body());
    }

    static MetricsScrape parse(String text) {
        Map<String, Double> m = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int sp = line.lastIndexOf(' ');
            m.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1).replace("+Inf", "Infinity")));
        }
        return new MetricsScrape(text, m);
    }

    /** The series' value, 0 when absent (a counter that never moved is not written for every label set). */
    double value(String name, String... labels) {
        return series.getOrDefault(key(name, labels), 0.0);
    }

    static String key(String name, String... labels) {
        if (labels.length == 0) return name;
        StringBuilder b = new StringBuilder(name).append('{');
        for (int i = 0; i < labels.length; i += 2) {
            if (i > 0) b.append(',');
            b.append(labels[i]).append("=\"").append(labels[i + 1]).append('"');
        }
        return b.append('}').toString();
    }

    boolean has(String name, String... labels) { return series.containsKey(key(name, labels)); }
}
