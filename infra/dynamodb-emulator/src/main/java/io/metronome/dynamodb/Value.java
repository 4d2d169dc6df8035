package io.metronome.dynamodb;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One DynamoDB attribute value. Immutable: items share values freely, and an update builds new containers along
 * the path it changes.
 */
sealed interface Value {

    /** DynamoDB's name of the type: S, N, B, BOOL, NULL, L, M, SS, NS, BS. */
    String type();

    /** The bytes this value adds to an item's size (without its attribute name), by DynamoDB's rules. */
    long size();

    record S(String value) implements Value {
        public String type() {
            return "S";
        }

        public long size() {
            return utf8Length(value);
        }
    }

    /** A number, normalized (no trailing zeros), so equal numbers are equal records. */
    record N(BigDecimal value) implements Value {
        public N {
            value = Numbers.normalize(value);
        }

        public String type() {
            return "N";
        }

        public long size() {
            return Numbers.size(value);
        }
    }

    record B(Bytes value) implements Value {
        public String type() {
            return "B";
        }

        public long size() {
            return value.length();
        }
    }

    record Bool(boolean value) implements Value {
        public String type() {
            return "BOOL";
        }

        public long size() {
            return 1;
        }
    }

    record Null() implements Value {
        public String type() {
            return "NULL";
        }

        public long size() {
            return 1;
        }
    }

    record L(List<Value> values) implements Value {
        public L {
            values = List.copyOf(values);
        }

        public String type() {
            return "L";
        }

        /** 3 bytes for the list, and 1 byte for each element besides the element itself. */
        public long size() {
            long size = 3;
            for (Value v : values) {
                size += 1 + v.size();
            }
            return size;
        }
    }

    record M(Map<String, Value> values) implements Value {
        public M {
            values = Items.copy(values);
        }

        public String type() {
            return "M";
        }

        /** 3 bytes for the map, and for each entry its name, 1 byte, and its value. */
        public long size() {
            long size = 3;
            for (Map.Entry<String, Value> e : values.entrySet()) {
                size += utf8Length(e.getKey()) + 1 + e.getValue().size();
            }
            return size;
        }
    }

    record SS(Set<String> values) implements Value {
        public SS {
            values = Items.orderedSet(values);
        }

        public String type() {
            return "SS";
        }

        public long size() {
            long size = 0;
            for (String s : values) {
                size += utf8Length(s);
            }
            return size;
        }
    }

    record NS(Set<BigDecimal> values) implements Value {
        public NS {
            values = Items.orderedSet(values.stream().map(Numbers::normalize).toList());
        }

        public String type() {
            return "NS";
        }

        public long size() {
            long size = 0;
            for (BigDecimal n : values) {
                size += Numbers.size(n);
            }
            return size;
        }
    }

    record BS(Set<Bytes> values) implements Value {
        public BS {
            values = Items.orderedSet(values);
        }

        public String type() {
            return "BS";
        }

        public long size() {
            long size = 0;
            for (Bytes b : values) {
                size += b.length();
            }
            return size;
        }
    }

    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Orders two scalars of one type as DynamoDB does: numbers by value, strings by their UTF-8 bytes (which is
     * code point order), binaries as unsigned bytes. Returns null when the values cannot be ordered (other types,
     * or two types).
     */
    static Integer compare(Value a, Value b) {
        if (a instanceof N x && b instanceof N y) {
            return x.value.compareTo(y.value);
        }
        if (a instanceof S x && b instanceof S y) {
            return compareCodePoints(x.value, y.value);
        }
        if (a instanceof B x && b instanceof B y) {
            return x.value.compareTo(y.value);
        }
        return null;
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /** Binary data with value equality and unsigned ordering. */
    final class Bytes implements Comparable<Bytes> {
        private final byte[] data;

        Bytes(byte[] data) {
            this.data = data.clone();
        }

        byte[] toArray() {
            return data.clone();
        }

        int length() {
            return data.length;
        }

        boolean startsWith(Bytes prefix) {
            return data.length >= prefix.data.length
                    && Arrays.equals(data, 0, prefix.data.length, prefix.data, 0, prefix.data.length);
        }

        @Override
        public int compareTo(Bytes o) {
            return Arrays.compareUnsigned(data, o.data);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(data, b.data);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return java.util.Base64.getEncoder().encodeToString(data);
        }
    }
}
