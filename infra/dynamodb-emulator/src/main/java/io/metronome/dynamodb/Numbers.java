package io.metronome.dynamodb;

import java.math.BigDecimal;

/** DynamoDB's numbers: up to 38 significant digits, magnitudes from 1E-130 to under 1E+126. */
final class Numbers {
    static final int MAX_DIGITS = 38;
    private static final BigDecimal MAX = new BigDecimal("9.9999999999999999999999999999999999999E+125");
    private static final BigDecimal MIN = new BigDecimal("1E-130");
    /** Far beyond any number DynamoDB can hold; longer text is refused before parsing (which is quadratic). */
    private static final int MAX_TEXT_LENGTH = 1024;

    private Numbers() {
    }

    /** Parses a number as a request gives it, with DynamoDB's errors. */
    static BigDecimal parse(String text) {
        BigDecimal n;
        try {
            if (text.isEmpty() || text.length() > MAX_TEXT_LENGTH || Character.isWhitespace(text.charAt(0))
                    || Character.isWhitespace(text.charAt(text.length() - 1))) {
                throw new NumberFormatException();
            }
            n = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw DynamoDbException.validation("The parameter cannot be converted to a numeric value: "
                    + (text.length() > 64 ? text.substring(0, 64) + "... (" + text.length() + " characters)" : text));
        }
        return check(n);
    }

    /** A result of arithmetic or a parsed number, refused when DynamoDB could not store it. */
    static BigDecimal check(BigDecimal n) {
        BigDecimal v = normalize(n);
        if (v.signum() == 0) {
            return v;
        }
        if (v.precision() > MAX_DIGITS) {
            throw DynamoDbException.validation("Attempting to store more than 38 significant digits in a Number");
        }
        BigDecimal abs = v.abs();
        if (abs.compareTo(MAX) > 0) {
            throw DynamoDbException.validation(
                    "Number overflow. Attempting to store a number with magnitude larger than supported range");
        }
        if (abs.compareTo(MIN) < 0) {
            throw DynamoDbException.validation(
                    "Number underflow. Attempting to store a number with magnitude smaller than supported range");
        }
        return v;
    }

    static BigDecimal normalize(BigDecimal n) {
        return n.signum() == 0 ? BigDecimal.ZERO : n.stripTrailingZeros();
    }

    /** As DynamoDB answers a number: plain digits, no exponent, no trailing zeros. */
    static String format(BigDecimal n) {
        return normalize(n).toPlainString();
    }

    /**
     * Bytes a number takes in an item. DynamoDB stores a number as an exponent byte and base-100 digits (two
     * decimal digits a byte, aligned on the decimal point, leading and trailing zeros trimmed), plus a byte for a
     * negative number: 1 + ceil(significant digits / 2) in general, one less or more with the alignment.
     */
    static long size(BigDecimal n) {
        BigDecimal v = normalize(n);
        if (v.signum() == 0) {
            return 1;
        }
        String digits = v.unscaledValue().abs().toString();
        int integerDigits = digits.length() - v.scale();
        int padLeft = Math.floorMod(integerDigits, 2);
        long pairs = (digits.length() + padLeft + 1) / 2;
        return 1 + pairs + (v.signum() < 0 ? 1 : 0);
    }
}
