package org.rfaas.sebs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the value a browserified npm module exports ({@code ...exports=VALUE}) as written by a
 * JavaScript minifier: object literals with bare or quoted keys, arrays, strings, numbers such as
 * {@code .5}, {@code !0}/{@code !1} for true/false, {@code null}. nsfwjs ships its TF.js models in
 * this form ({@code model.min.js}: the Keras topology and weights manifest; {@code *.min.js}
 * shards: the weights as one base64 string), so the files committed are the package's own bytes.
 *
 * <p>Values come back as {@link Map} (insertion order), {@link List}, {@link String},
 * {@link Double} and {@link Boolean}; {@code null} as Java null.
 */
final class JsLiteral {
    private final String s;
    private int p;

    private JsLiteral(String s, int p) {
        this.s = s;
        this.p = p;
    }

    /** Browserify's module 1 assigning its exports: {@code {1:[function(e,a,n){a.exports=}. */
    private static final Pattern MODULE_1 = Pattern.compile("\\{1:\\[function\\(\\w+,(\\w+),\\w+\\)\\{\\1\\.exports=");

    /** The value browserify's module 1 in {@code bundle} exports. */
    static Object moduleExports(String bundle) {
        Matcher m = MODULE_1.matcher(bundle);
        if (!m.find()) {
            throw new IllegalArgumentException("no browserify module 1 assigning its exports");
        }
        return new JsLiteral(bundle, m.end()).value();
    }

    private Object value() {
        char c = s.charAt(p);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"', '\'':
                return string();
            case '!':
                if (s.startsWith("!0", p) || s.startsWith("!1", p)) {
                    p += 2;
                    return s.charAt(p - 1) == '0';
                }
                break;
            default:
                if (s.startsWith("null", p)) {
                    p += 4;
                    return null;
                }
                if (s.startsWith("true", p) || s.startsWith("false", p)) {
                    boolean v = s.charAt(p) == 't';
                    p += v ? 4 : 5;
                    return v;
                }
                if (c == '-' || c == '.' || Character.isDigit(c)) {
                    return number();
                }
        }
        throw error("unexpected '" + c + "'");
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        p++;
        if (s.charAt(p) == '}') {
            p++;
            return m;
        }
        while (true) {
            String key;
            if (s.charAt(p) == '"' || s.charAt(p) == '\'') {
                key = string();
            } else {
                int start = p;
                while (Character.isJavaIdentifierPart(s.charAt(p))) {
                    p++;
                }
                if (start == p) {
                    throw error("object key expected");
                }
                key = s.substring(start, p);
            }
            expect(':');
            m.put(key, value());
            if (s.charAt(p) == '}') {
                p++;
                return m;
            }
            expect(',');
        }
    }

    private List<Object> array() {
        List<Object> a = new ArrayList<>();
        p++;
        if (s.charAt(p) == ']') {
            p++;
            return a;
        }
        while (true) {
            a.add(value());
            if (s.charAt(p) == ']') {
                p++;
                return a;
            }
            expect(',');
        }
    }

    private String string() {
        char quote = s.charAt(p++);
        int end = s.indexOf(quote, p);
        if (end >= 0 && s.indexOf('\\', p, end) < 0) {
            // No escape before the closing quote (the weights' base64, most names): one substring.
            String plain = s.substring(p, end);
            p = end + 1;
            return plain;
        }
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = s.charAt(p++);
            if (c == quote) {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(p++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(p, p + 4), 16));
                    p += 4;
                }
                default -> b.append(e);
            }
        }
    }

    private Double number() {
        int start = p;
        while (p < s.length() && "+-.0123456789eE".indexOf(s.charAt(p)) >= 0) {
            p++;
        }
        try {
            return Double.valueOf(s.substring(start, p));
        } catch (NumberFormatException e) {
            throw error("bad number '" + s.substring(start, p) + "'");
        }
    }

    private void expect(char c) {
        if (s.charAt(p) != c) {
            throw error("'" + c + "' expected");
        }
        p++;
    }

    private IllegalArgumentException error(String what) {
        int from = Math.max(0, p - 20);
        return new IllegalArgumentException(what + " at offset " + p + " near '" + s.substring(from, Math.min(s.length(),
                p + 20)) + "'");
    }
}
